// The process's one controller, shared by instrumentation.ts and every route handler. Next.js
// compiles each of them into a bundle of its own, so this module may be evaluated more than
// once per process: sharedController() hands every evaluation the same controller, and
// caches.lru() with the same name and equal options hands back the same cache.
import { sharedController } from 'heapguard'

export const pressure = sharedController({
  shed: {
    retryAfter: 5,
    // Under pressure, at most this much work at once (critical work is never held back).
    concurrency: { critical: 32, emergency: 8 },
  },
})

export interface Item {
  id: string
  name: string
  price: number
  description: string
}

/** Items by id: the hot path of the app, shrunk by heapguard when memory runs short. */
export const items = pressure.caches.lru<string, Item>('items', { max: 20_000, priority: 'normal' })
