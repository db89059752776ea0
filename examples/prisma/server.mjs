// A node:http service on Prisma 7 and PostgreSQL (@prisma/adapter-pg over a pg.Pool), with the
// three reads that took the seeds' apps down, and heapguard's answer to each:
//   - every read capped by the level's take (heapguardPrisma), however it is written;
//   - each read reserving what it will hold before it runs, refused with 503 when that does not fit;
//   - the pool's size following the level (managePool).
//
//   DATABASE_URL=postgresql://… node examples/prisma/server.mjs [--port 3000] [--no-heapguard]
//
// Routes:
//   GET  /assessments  every assessment, no take (the unbounded findMany)
//   GET  /schools      every school with its classes, students and their assessments (an include of a big relation)
//   POST /import?n=N   N new assessments for the students of a class name, in batches (the bulk import)
//   GET  /export       every assessment, for a report: uncapped(), so it reserves for all of them instead
//   GET  /healthz      200 below emergency, 503 at emergency
// It prints one JSON line when it listens ({ event: 'listening', port }).
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { createController, inBatches, ShedError } from '../../dist/index.js'
import { healthHandler } from '../../dist/http.js'
import { managePool } from '../../dist/pg.js'
import { heapguardPrisma, uncapped } from '../../dist/prisma.js'

// The JavaScript client generated from schema.prisma (`npx prisma generate --schema examples/prisma/schema.prisma`).
const { PrismaClient } = createRequire(import.meta.url)('./generated/js/index.js')

const { values } = parseArgs({
  options: { port: { type: 'string', default: '3000' }, 'no-heapguard': { type: 'boolean', default: false } },
})
const guarded = !values['no-heapguard']
const out = (line) => process.stdout.write(`${JSON.stringify(line)}\n`)

const pressure = createController()
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
const base = new PrismaClient({ adapter: new PrismaPg(pool) })
// One client for the process, extended once.
const prisma = guarded ? base.$extends(heapguardPrisma(pressure)) : base
if (guarded) managePool(pressure, pool, { max: { normal: 10, warning: 6, critical: 3, emergency: 2 } })

const batchSize = pressure.limits.scale({ normal: 1000, warning: 250, critical: 50 })

const routes = {
  'GET /assessments': () => prisma.assessment.findMany({ orderBy: { id: 'asc' } }),
  'GET /schools': () =>
    prisma.school.findMany({ include: { classes: { include: { students: { include: { assessments: true } } } } } }),
  // An export must see every row: uncapped() lifts the cap for this read only. It still reserves
  // what it will hold (a count first), and is refused with 503 when that does not fit.
  'GET /export': () => uncapped(() => prisma.assessment.findMany({ orderBy: { id: 'asc' } })),
  // A bulk import: students are looked up a batch at a time, never all at once.
  'POST /import': async (url) => {
    const wanted = Number(url.searchParams.get('n') ?? 100)
    let made = 0
    const students = inBatches(
      ({ take, last }) =>
        prisma.student.findMany({ where: { id: { gt: last?.id ?? 0 } }, orderBy: { id: 'asc' }, take }),
      { batchSize },
    )
    for await (const batch of students) {
      const data = batch.slice(0, wanted - made).map((s) => ({
        externalId: `import-${s.id}-${Date.now()}`,
        title: `Imported for ${s.name}`,
        body: 'Imported answer',
        score: 0,
        status: 'draft',
        studentId: s.id,
      }))
      made += (await prisma.assessment.createMany({ data })).count
      if (made >= wanted) break
    }
    return { imported: made }
  },
}

const admit = pressure.shed.middleware({ priority: (req) => (req.url?.startsWith('/export') ? 'low' : 'normal') })
const health = healthHandler(pressure)

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  if (!Array.isArray(body)) return res.end(JSON.stringify(body))
  void sendRows(res, body)
}

/**
 * A list is written a few hundred rows at a time: one JSON.stringify of 200,000 rows would be a
 * string of 80 MB on top of the rows (heapguard's reservation covers the read, not what the
 * route builds from its result).
 */
async function sendRows(res, rows) {
  res.write('[')
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = JSON.stringify(rows.slice(i, i + 500)).slice(1, -1)
    const more = res.write(i === 0 ? chunk : `,${chunk}`)
    if (!more) await new Promise((resolve) => res.once('drain', resolve))
  }
  res.end(']')
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/healthz') return health(req, res)
  const route = routes[`${req.method} ${url.pathname}`]
  if (route === undefined) return send(res, 404, { error: 'Not Found' })
  admit(req, res, () => {
    Promise.resolve()
      .then(() => route(url))
      .then(
        (body) => send(res, 200, body),
        (error) => {
          // A read refused before it ran: the reservation did not fit.
          if (error instanceof ShedError) {
            return send(
              res,
              503,
              { error: 'Service Unavailable', level: error.level, retryAfter: error.retryAfter },
              {
                'retry-after': String(error.retryAfter),
              },
            )
          }
          console.error(error)
          send(res, 500, { error: 'Internal Server Error' })
        },
      )
  })
})

server.listen(Number(values.port), '127.0.0.1', () => out({ event: 'listening', port: server.address().port, guarded }))
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close()
    void base
      .$disconnect()
      .then(() => pool.end())
      .finally(() => process.exit(0))
  })
}
