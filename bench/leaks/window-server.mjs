// The squeeze server's route and value (bench/squeeze: a ~10 KB computed value per key in a managed
// cache, heapguardFastify in front), with a heap large enough to stay at `normal`, driven over IPC
// by bench/leaks-window.bench.mjs: `cpu` answers this process's CPU time (all threads), requests
// served and GCs; `capture` opens a leak window (default options: 512 KiB sampling, 250 ms pause
// limit); `sampler` runs V8's sampler alone for a while (an inspector session of its own, at
// 512 KiB, no read: what a window costs without its checkpoints' forced GCs).
//   fork bench/leaks/window-server.mjs  (with an IPC channel; --max-old-space-size=512)
import { Session } from 'node:inspector'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import Fastify from 'fastify'
import { createController } from '../../dist/index.js'
import { heapguardFastify } from '../../dist/fastify.js'
import { computeValue } from '../squeeze/value.mjs'

// LEAKS_MAX_PAUSE_MS: the window's maxPauseMs (default 250, heapguard's).
const maxPauseMs = Number(process.env.LEAKS_MAX_PAUSE_MS ?? 250)
const pressure = createController({ leaks: { auto: false, maxPauseMs }, logger: { warn() {}, error: console.error } })
const cache = pressure.caches.lru('values', { max: 20_000, priority: 'normal' })
const app = Fastify({ logger: false })
await app.register(heapguardFastify, { pressure })
let served = 0
// Garbage collections, by kind: how many and how long (ms).
const gc = { minor: 0, minorMs: 0, major: 0, majorMs: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const major = entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR
    gc[major ? 'major' : 'minor']++
    gc[major ? 'majorMs' : 'minorMs'] += entry.duration
  }
}).observe({ entryTypes: ['gc'] })
app.get('/v/:key', (request, reply) => {
  const { key } = request.params
  let value = cache.get(key)
  const hit = value !== undefined
  if (!hit) {
    value = computeValue(key)
    cache.set(key, value)
  }
  served++
  reply.header('x-cache', hit ? 'hit' : 'miss')
  return { key, chars: value.length, head: value.slice(0, 16) }
})

const send = (message) => process.connected && process.send(message, () => {})
process.on('message', (message) => {
  if (message?.type === 'cpu') {
    send({
      type: 'cpu',
      cpu: process.cpuUsage(),
      served,
      gc: { ...gc },
      heapUsed: process.memoryUsage().heapUsed,
      level: pressure.level,
    })
  } else if (message?.type === 'sampler') {
    const session = new Session()
    session.connect()
    session.post('HeapProfiler.startSampling', { samplingInterval: 512 * 1024 })
    setTimeout(() => {
      session.disconnect() // stops the sampler without a read
      send({ type: 'report', sampler: true })
    }, message.durationMs)
  } else if (message?.type === 'capture') {
    pressure.leaks.capture({ durationMs: message.durationMs, checkpoints: message.checkpoints }).then(
      (report) =>
        send({
          type: 'report',
          pauseMs: report.pauseMs,
          checkpoints: report.checkpoints,
          skipped: report.skipped,
          sites: report.sites.length,
          grows: report.grows,
        }),
      (error) => send({ type: 'report', error: error.message }),
    )
  }
})
process.on('disconnect', () => {
  pressure.close()
  app.close().finally(() => process.exit(0))
})
await app.listen({ host: '127.0.0.1', port: 0 })
send({ type: 'ready', port: app.server.address().port })
