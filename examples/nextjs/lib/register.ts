// What instrumentation.ts runs on the Node.js runtime. Kept in a module of its own so that the
// edge build of instrumentation.ts never sees Node.js APIs.
import { pressure } from './pressure'

export function registerPressure(): void {
  // Registered once per controller, however often register() runs. The 'sessions' cache is
  // registered only here: a route that sees it shares this file's controller.
  if (pressure.caches.get('sessions') !== undefined) return
  pressure.caches.lru<string, string>('sessions', { max: 1_000, priority: 'essential' })
  pressure.on('level', ({ from, to, ratio }) => {
    console.warn(`heapguard: memory ${from} -> ${to} (${ratio.toFixed(2)}) in process ${process.pid}`)
  })
  console.log(`heapguard: controller ready in process ${process.pid}`)
}
