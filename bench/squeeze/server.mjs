// One server under test, started by the orchestrator as a child process:
//   node --max-old-space-size=128 bench/squeeze/server.mjs <variant>
// It caches a ~10 KB computed value per key, samples its own heap every 100 ms and reports
// everything to the parent over IPC, so the series survives an out-of-memory crash.
import v8 from 'node:v8'
import Fastify from 'fastify'
import { allocatePayload } from './payload.mjs'
import { REGROWTH_VARIANTS } from './regrowth-variants.mjs'
import { computeValue } from './value.mjs'
import { TIDE_VARIANTS, VARIANTS } from './variants.mjs'

const SAMPLE_EVERY_MS = 100

const name = process.argv[2]
const ALL = { ...VARIANTS, ...REGROWTH_VARIANTS, ...TIDE_VARIANTS }
const variant = ALL[name]
if (variant === undefined || typeof process.send !== 'function') {
  console.error(`usage: fork server.mjs <${Object.keys(ALL).join('|')}> (with an IPC channel)`)
  process.exit(2)
}

const send = (message) => {
  // The parent may be gone (killed run, or disconnecting at the end): a server that cannot report
  // has nothing left to do, and a send that races the disconnect must not crash it (EPIPE).
  if (process.connected) process.send(message, () => {})
}

const app = Fastify({ logger: false })
const { cache, probe, onChange, report, exportRoute = {} } = await variant.setup(app)

app.get('/v/:key', (request, reply) => {
  const { key } = request.params
  let value = cache.get(key)
  const hit = value !== undefined
  if (!hit) {
    value = computeValue(key)
    cache.set(key, value)
  }
  reply.header('x-cache', hit ? 'hit' : 'miss')
  // A short answer: the load driver measures the server, not loopback bandwidth.
  return { key, chars: value.length, head: value.slice(0, 16) }
})

// The high tide (bench/squeeze/tide.mjs): an export that holds `mib` MiB for `holdMs`, then
// answers. Variants with reservations give the route its `config.heapguard`.
app.get('/export', exportRoute, async (request) => {
  const mib = Number(request.query.mib)
  const holdMs = Number(request.query.holdMs)
  const rows = allocatePayload(mib)
  await new Promise((resolve) => setTimeout(resolve, holdMs))
  return { mib, chunks: rows.length, last: rows.at(-1)?.at(-1) ?? null }
})

// The cheap route used to check that the server serves normally again after the load.
app.get('/ping', () => ({ ok: true }))

onChange(send)

const sampler = setInterval(() => {
  const { heapUsed, heapTotal, rss } = process.memoryUsage()
  // The old generation as V8 counts it against its limit (committed pages) and what its free lists hold.
  let oldCommitted = 0
  let oldAvailable = 0
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name.startsWith('new_')) continue
    oldCommitted += space.space_size
    oldAvailable += space.space_available_size
  }
  send({ type: 'sample', at: Date.now(), heapUsed, heapTotal, rss, oldCommitted, oldAvailable, ...probe() })
}, SAMPLE_EVERY_MS)

process.on('message', (message) => {
  if (message?.type === 'report') send({ type: 'report', ...report() })
})
process.on('disconnect', () => {
  clearInterval(sampler)
  app.close().finally(() => process.exit(0))
})

await app.listen({ host: '127.0.0.1', port: 0 })
send({ type: 'ready', port: app.server.address().port, at: Date.now() })
