// A small orders API with three leaks, each of a shape reported again and again in the field, and
// heapguard embedded to find them. Run it with `node examples/leaks/run.mjs` (it builds the load
// and prints what heapguard found), or by hand:
//   node --max-old-space-size=256 examples/leaks/server.mjs   (then open the dashboard it prints)
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { createController } from '../../dist/index.js'
import { dashboardHandler } from '../../dist/http.js'
import { DbClient } from './db-client.mjs'

const port = Number(process.env.PORT ?? 7078)
const pressure = createController({
  // Windows open by themselves when the post-GC heap keeps rising (leaks.auto, on by default);
  // this example also asks for one from run.mjs, through the dashboard's POST ?leaks=capture.
  // A sample every 128 KiB (the default is 512 KiB) lets a 30 s window see leaks of a few tens
  // of KiB a second; it costs more CPU while a window is open, and nothing otherwise. A checkpoint
  // may pause up to 1 s (250 ms by default): a laptop running an example is busy with other things.
  leaks: { durationMs: 30_000, intervalBytes: 128 * 1024, maxPauseMs: 1000 },
})
pressure.on('leak', (report) => console.log(String(report)))

// ---- leak 1: a client created per request, kept in a module-level list -------------------------
const clients = [] // "closed on shutdown" — in the meantime, one more per request
function ordersClient() {
  const db = new DbClient({ url: process.env.DATABASE_URL ?? 'postgres://db.internal/orders' })
  clients.push(db)
  return db
}

// ---- leak 2: a query-event array that is never trimmed -----------------------------------------
const queryLog = [] // meant for a "slow queries" page that reads the last 100
function logQueries(db) {
  db.on('query', (event) => {
    queryLog.push({ ...event, at: new Date().toISOString(), slow: event.duration > 100 })
  })
}

// ---- leak 3: a module-level Map cache that outlived its TTL design -----------------------------
const sessions = new Map() // entries were to expire after 15 minutes; nothing ever deletes them
function rememberSession(token, user) {
  const cart = Array.from({ length: 3 }, (_, i) => ({ sku: `SKU-${user}-${i}`, quantity: 1 + i, addedAt: Date.now() }))
  sessions.set(token, { user, roles: ['customer'], cart, csrf: randomBytes(16).toString('hex'), createdAt: Date.now() })
}

pressure.leaks.watch('sessions', () => sessions.size)
pressure.leaks.watch('queryLog', () => queryLog.length)

// ---- the routes --------------------------------------------------------------------------------
async function listOrders(url, res) {
  const db = ordersClient()
  logQueries(db)
  const customer = Number(url.searchParams.get('customer') ?? 1)
  const rows = await db.query('SELECT id, total FROM orders WHERE customer_id = $1 ORDER BY id DESC LIMIT 5', [
    customer,
  ])
  const body = JSON.stringify({ customer, orders: rows })
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(body)
}

function login(url, res) {
  const user = url.searchParams.get('user') ?? 'guest'
  const token = randomBytes(12).toString('base64url')
  rememberSession(token, user)
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token }))
}

function health(res) {
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ level: pressure.level }))
}

const token = process.env.HEAPGUARD_TOKEN ?? randomBytes(18).toString('base64url')
const dashboard = dashboardHandler(pressure, { token, title: 'orders API' })

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://orders')
  if (url.pathname === '/heapguard') return dashboard(req, res)
  if (url.pathname === '/orders') return void listOrders(url, res).catch(() => res.writeHead(500).end())
  if (url.pathname === '/login') return login(url, res)
  if (url.pathname === '/healthz') return health(res)
  res.writeHead(404).end()
})
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address()
  const ready = { type: 'ready', port: bound, token }
  if (process.send) process.send(ready)
  else
    console.log(`orders API on http://127.0.0.1:${bound}, dashboard http://127.0.0.1:${bound}/heapguard?token=${token}`)
})
pressure.onShutdown(() => new Promise((resolve) => server.close(() => resolve())))
pressure.closeOnSignals()
