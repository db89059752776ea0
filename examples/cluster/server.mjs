// A node:cluster service in a container: several workers, each with its own DEFAULT controller.
// In a cgroup with a memory limit the defaults include cgroupSource(), so every worker sees the
// container's working set against the container's limit: when one worker buffers uploads off the
// heap (Buffers), the others' levels rise too, though their own heaps and RSS stay small. They
// shed load together before the kernel's OOM killer (which sees the sum) picks one of them.
//
//   node examples/cluster/server.mjs [--workers 2] [--port 3000]
//
// Routes (served by whichever worker the cluster hands the connection to):
//   POST /upload?mb=N  holds N MiB in Buffers until /drop (an upload being processed)
//   POST /drop         drops what this worker holds
//   GET  /level        this worker's { pid, level, ratio, sources }
//   GET  /healthz      200 below emergency, 503 at emergency
// The primary prints one JSON line per event: listening, and each worker's level changes.
import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { createController } from '../../dist/index.js'
import { healthHandler } from '../../dist/http.js'

const { values } = parseArgs({
  options: { workers: { type: 'string', default: '2' }, port: { type: 'string', default: '3000' } },
})
const out = (line) => process.stdout.write(`${JSON.stringify(line)}\n`)

if (cluster.isPrimary) {
  const count = Number(values.workers)
  let listening = 0
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork()
    worker.on('message', (message) => {
      if (message.event === 'listening' && ++listening === count) out({ event: 'listening', port: message.port })
      else if (message.event !== 'listening') out({ ...message, worker: worker.id })
    })
  }
  // Ctrl-C or a SIGTERM from the orchestrator: stop the workers, then leave.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
      process.exit(0)
    })
  }
} else {
  // Defaults everywhere: heap, RSS and, inside a memory cgroup, the cgroup's working set.
  const pressure = createController()
  const report = (event) => process.send?.({ ...event, pid: process.pid })
  const snapshot = () => ({
    level: pressure.level,
    ratio: Number(pressure.ratio.toFixed(3)),
    sources: Object.fromEntries(
      Object.entries(pressure.lastSample?.sources ?? {}).map(([name, s]) => [name, Number(s.ratio.toFixed(3))]),
    ),
  })
  pressure.on('level', (change) => report({ event: 'level', from: change.from, to: change.to, ...snapshot() }))
  report({ event: 'started', ...snapshot() })

  const shed = pressure.shed.middleware()
  const health = healthHandler(pressure)
  let held = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const json = (status, body) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (url.pathname === '/healthz') return health(req, res)
    if (url.pathname === '/level') return json(200, { pid: process.pid, ...snapshot() })
    if (url.pathname === '/drop') {
      held = []
      return json(200, { pid: process.pid, heldMiB: 0 })
    }
    // Uploads are refused under pressure (503 + Retry-After), so that the container stays alive.
    shed(req, res, () => {
      if (url.pathname !== '/upload') return json(404, { error: 'not found' })
      const mb = Math.min(Number(url.searchParams.get('mb') ?? 1), 4096)
      // Buffer.alloc touches every page: the memory is resident, charged to the container.
      for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1))
      json(200, { pid: process.pid, heldMiB: held.length })
    })
  })
  server.listen(Number(values.port), '127.0.0.1', () => {
    process.send?.({ event: 'listening', port: server.address().port })
  })
  process.on('disconnect', () => {
    pressure.close()
    server.close()
  })
}
