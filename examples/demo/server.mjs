// The demo's service: a small shop API with heapguard embedded, run by run.mjs under
// `node --max-old-space-size=96`. It talks to run.mjs over IPC (ready, level changes, summary).
// Everything it does with heapguard is ordinary application code; read it as an example.
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import { Registry } from 'prom-client'
import { createController, heapSource } from '../../dist/index.js'
import { dashboardHandler, healthHandler } from '../../dist/http.js'
import { collectMetrics } from '../../dist/prometheus.js'

const MiB = 1024 * 1024
const port = Number(process.env.DEMO_PORT ?? 7077)

// ---- heapguard ------------------------------------------------------------------------------
// The V8 heap is what this process can run out of, so it is the only source watched here.
//
// The levels start earlier than the defaults (0.70 / 0.85 / 0.95). A 96 MiB heap is tiny: V8's
// young generation (16 MiB semi-spaces) is a large share of it, and a burst of short-lived
// objects that survive a scavenge must fit in what is left of the old space. Under such bursts
// this server died of "heap out of memory" with 82-86 MiB in use, a ratio of 0.85-0.89. Heaps of
// a few hundred MiB and more do not need this.
//
// recoveryMs is shortened from 5 s so the whole staged recovery fits in a one-minute demo.
//
// leaks: a window samples every 32 KiB (the default is 512 KiB), so that a window of a few seconds
// sees this demo's small leak, and may pause up to 1 s for its forced GCs (250 ms by default):
// the demo's machine may be busy, and a demo should show its report.
const pressure = createController({
  sources: [heapSource()],
  thresholds: { warning: 0.6, critical: 0.75, emergency: 0.88 },
  recoveryMs: 3000,
  shed: { retryAfter: 2 },
  leaks: { intervalBytes: 32 * 1024, maxPauseMs: 1000 },
})

// Caches of each priority. `max` is a guess, as it often is in real services: 20 000 product
// pages of 10 KiB would need 200 MiB, twice the heap; the byte budgets bound them, and heapguard
// shrinks both the entry and the byte budget under pressure.
const textSize = (value) => value.length + 64
const sessions = pressure.caches.lru('sessions', { max: 2_000, priority: 'essential' })
const pages = pressure.caches.lru('pages', {
  max: 20_000,
  maxSize: 40 * MiB,
  sizeCalculation: textSize,
  priority: 'normal',
})
const recommendations = pressure.caches.lru('recommendations', {
  max: 10_000,
  maxSize: 8 * MiB,
  sizeCalculation: textSize,
  priority: 'optional',
})

// A nice-to-have feature, switched off from critical up.
pressure.features.flag('recommendations', { offAt: 'critical' })

// A background job that allocates (it rebuilds a search index), paused from warning up.
// The index is kept (module state) until the next rebuild replaces it.
export let index = []
pressure.tasks.every(
  'reindex',
  1000,
  () => {
    index = Array.from({ length: 20_000 }, (_, i) => ({ id: i, score: Math.random() }))
  },
  { pauseAt: 'warning' },
)

// Requests get a priority from the route, never from the client.
const shed = pressure.shed.middleware({
  priority: (req) => {
    if (req.url.startsWith('/healthz') || req.url.startsWith('/heapguard') || req.url.startsWith('/metrics'))
      return 'critical'
    if (req.url.startsWith('/api/checkout')) return 'high'
    if (req.url.startsWith('/api/report')) return 'low'
    return 'normal'
  },
})

const token = randomBytes(18).toString('base64url')
const dashboard = dashboardHandler(pressure, { token, title: 'heapguard demo shop' })
const health = healthHandler(pressure)
const registry = new Registry()
// No prefix: the names are the ones the shipped alert rules and Grafana dashboard read
// (observability/). With a prefix, prefix the rules too (docs/observation.md shows the command).
collectMetrics(pressure, { registry })

// ---- what the demo reports back to run.mjs ---------------------------------------------------
const heapUsed = () => pressure.lastSample?.sources.heap?.used ?? 0
let peakHeap = 0
pressure.on('sample', (sample) => {
  const used = sample.sources.heap?.used ?? 0
  if (used > peakHeap) peakHeap = used
})
pressure.on('level', (change) => {
  process.send?.({
    type: 'level',
    ...change,
    heapUsed: heapUsed(),
    heapLimit: pressure.lastSample?.sources.heap?.limit ?? 0,
  })
})
process.on('message', (message) => {
  if (message?.type === 'status') {
    process.send?.({
      type: 'status',
      level: pressure.level,
      ratio: pressure.ratio,
      heapUsed: heapUsed(),
      shed: pressure.shed.stats(),
    })
  } else if (message?.type === 'force') {
    // The operator's emergency switch; it lets go by itself after forMs.
    pressure.force(message.level, { forMs: message.forMs })
  } else if (message?.type === 'capture') {
    // What grows: a window of V8's sampling heap profiler; the report names the leaky route.
    pressure.leaks.capture({ durationMs: message.durationMs, checkpoints: 4 }).then(
      (report) => process.send?.({ type: 'leaks', text: String(report), sites: report.sites }),
      (error) => process.send?.({ type: 'leaks', error: error.message }),
    )
  } else if (message?.type === 'summary') {
    process.send?.({
      type: 'summary',
      peakHeap,
      heapUsed: heapUsed(),
      heapLimit: pressure.lastSample?.sources.heap?.limit ?? 0,
      level: pressure.level,
      transitionCounts: pressure.transitionCounts(),
      caches: pressure.caches.stats(),
      shed: pressure.shed.stats(),
      features: pressure.features.list(),
      tasks: pressure.tasks.list(),
    })
  }
})

// ---- the application -------------------------------------------------------------------------
/**
 * `bytes` of text that really occupy the heap. (`'x'.repeat(n)` and `padEnd` build strings out of
 * shared pieces that cost almost nothing, which would make this demo lie about memory.)
 */
function text(bytes, seed) {
  return Buffer.alloc(bytes, `${seed} lorem ipsum `).toString('latin1')
}

/** A rendered product page: 10 KiB of text, different for every product. */
function renderPage(id) {
  return text(10 * 1024, `<h1>Product ${id}</h1>`)
}

function renderRecommendations(id) {
  return JSON.stringify(
    Array.from({ length: 40 }, (_, i) => ({ id: (id * 31 + i) % 100_000, title: `Related product ${i}` })),
  )
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

const held = new Set()

// The demo's leak: "recently viewed" products, meant to keep the last 20 per user, keep them all.
const recentlyViewed = []
function rememberView(user, product) {
  recentlyViewed.push({
    user,
    product,
    at: new Date().toISOString(),
    referrer: `/api/product/${product}?from=${user}`,
    trail: `${product},`.repeat(100),
  })
}

/** Holds `mb` MiB of the heap for `ms` milliseconds, then answers. */
function holdMemory(url, res) {
  const mb = Math.min(Number(url.searchParams.get('mb') ?? 4), 16)
  const ms = Math.min(Number(url.searchParams.get('ms') ?? 1000), 10_000)
  const rows = []
  for (let i = 0; i < mb * 16; i++) rows.push(text(64 * 1024 - 32, i))
  held.add(rows)
  const timer = setTimeout(() => {
    held.delete(rows)
    json(res, 200, { rows: rows.length })
  }, ms)
  res.on('close', () => {
    clearTimeout(timer)
    held.delete(rows)
  })
}

function route(req, res) {
  const url = new URL(req.url, 'http://demo')
  const [, area, kind, id] = url.pathname.split('/')
  if (url.pathname === '/healthz') return health(req, res)
  if (url.pathname === '/heapguard') return dashboard(req, res)
  if (url.pathname === '/metrics') {
    registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': registry.contentType })
      res.end(text)
    })
    return
  }
  if (area !== 'api') return json(res, 404, { error: 'not found' })

  if (kind === 'product') {
    const n = Number(id)
    let page = pages.get(n)
    const hit = page !== undefined
    if (!hit) {
      page = renderPage(n)
      pages.set(n, page)
    }
    let recs = null
    if (pressure.features.enabled('recommendations')) {
      recs = recommendations.get(n)
      if (recs === undefined) {
        recs = renderRecommendations(n)
        recommendations.set(n, recs)
      }
    }
    return json(res, 200, { id: n, cached: hit, bytes: page.length, recommendations: recs !== null })
  }
  if (kind === 'session') {
    let session = sessions.get(id)
    if (session === undefined) {
      session = { id, cart: Array.from({ length: 20 }, (_, i) => ({ sku: i, qty: 1 })), createdAt: Date.now() }
      sessions.set(id, session)
    }
    return json(res, 200, { id, items: session.cart.length })
  }
  if (kind === 'checkout') return json(res, 200, { ok: true })
  if (kind === 'viewed') {
    rememberView(url.searchParams.get('user') ?? 'guest', Number(id))
    return json(res, 200, { ok: true })
  }
  // A heavy report (low priority) or a bulk import (normal priority): both hold working data
  // on the heap while they run.
  if (kind === 'report' || kind === 'import') return holdMemory(url, res)
  return json(res, 404, { error: 'not found' })
}

const server = createServer((req, res) => shed(req, res, () => route(req, res)))
server.keepAliveTimeout = 30_000

function listen(at) {
  server.once('error', (error) => {
    if (error.code === 'EADDRINUSE' && at !== 0) listen(0)
    else throw error
  })
  server.listen(at, '127.0.0.1', () => {
    process.send?.({
      type: 'ready',
      port: server.address().port,
      token,
      heapLimit: pressure.lastSample?.sources.heap?.limit ?? 0,
    })
  })
}
listen(port)

function shutdown() {
  dashboard.close()
  pressure.close()
  server.close(() => process.exit(0))
  server.closeAllConnections()
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
process.on('disconnect', shutdown)
