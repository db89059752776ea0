/**
 * `heapguard/hono`: the Hono middleware. Hono is an optional peer dependency; only this entry
 * refers to it, and only for types.
 */
import type { MiddlewareHandler } from 'hono'
import { honoMiddleware, type HeapguardHonoOptions } from './http/hono.js'
import { sharedController } from './lifecycle/shared-controller.js'

/**
 * Load shedding for Hono: the middleware admits, queues or refuses each request before the
 * handlers after it run. A refused request gets `503` with `Retry-After` and
 * `{ error, level, retryAfter }`; an admitted one holds its slot as `withPressure` does (until
 * the response is produced, or the end of a streamed body when the controller limits concurrency).
 * An error thrown further down gives the slot back and propagates unchanged to Hono's `onError`.
 * Without `pressure`, the controller is `sharedController()`, looked up at the first request.
 */
export function heapguardHono(options?: HeapguardHonoOptions): MiddlewareHandler {
  return honoMiddleware(options, sharedController)
}

export type { HeapguardHonoOptions }
export default heapguardHono
