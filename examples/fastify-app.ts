// The README's example, kept compiling: `npm run typecheck` checks it against the source.
import Fastify from 'fastify'
import { createController } from 'heapguard'
import { heapguardFastify } from 'heapguard/fastify'
import { healthHandler } from 'heapguard/http'

declare function renderPage(id: string): Promise<string>
declare function related(id: string): Promise<string[]>

const pressure = createController() // heap + RSS: a poll every second, faster near warning, and after each GC
const pages = pressure.caches.lru<string, string>('pages', {
  max: 50_000,
  maxSize: 256 * 1024 * 1024,
  priority: 'optional', // first to give memory back
})
const recommendations = pressure.features.flag('recommendations', { offAt: 'critical' })
pressure.on('level', ({ from, to, ratio }) => console.warn(`memory ${from} -> ${to} (${ratio.toFixed(2)})`))

const app = Fastify()
await app.register(heapguardFastify, { pressure, priority: (req) => (req.url === '/ready' ? 'critical' : 'normal') })
const ready = healthHandler(pressure) // 503 from emergency up: a readiness probe, never a liveness one
app.get('/ready', (req, reply) => {
  reply.hijack()
  ready(req.raw, reply.raw)
})
app.get<{ Params: { id: string } }>('/pages/:id', async (req) => {
  const html = await pages.getOrLoad(req.params.id, () => renderPage(req.params.id)) // one load per key at a time
  return { html, related: recommendations.enabled ? await related(req.params.id) : [] }
})
pressure.onShutdown(() => app.close())
pressure.closeOnSignals() // SIGINT/SIGTERM: run shutdown hooks, close the controller, exit
await app.listen({ host: '127.0.0.1', port: 3000 })
