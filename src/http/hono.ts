import type { Context, MiddlewareHandler } from 'hono'
import { AdmittedRequest } from './web/admitted.js'
import { WebGuard, type WebShedOptions } from './web/guard.js'

/** `app.use(heapguardHono({ pressure?, priority?, retryAfter? }))`; `priority` is given Hono's `Context`. */
export type HeapguardHonoOptions = WebShedOptions<Context>

const W = 'heapguardHono'

/**
 * Load shedding for Hono: the middleware admits, queues or refuses each request before the
 * handlers after it run. A refused request gets `503` with `Retry-After` and
 * `{ error, level, retryAfter }`; an admitted one holds its slot as `withPressure` does (until
 * the response is produced, or the end of a streamed body when the controller limits concurrency).
 * An error thrown further down gives the slot back and propagates unchanged to Hono's `onError`.
 */
export function heapguardHono(options?: HeapguardHonoOptions): MiddlewareHandler {
  const guard = new WebGuard<Context>(W, options)
  return async function heapguard(c, next) {
    let admission = guard.admit(c, c.req.raw)
    if (!(admission instanceof AdmittedRequest)) {
      admission = await admission
      if (!(admission instanceof AdmittedRequest)) return admission
    }
    try {
      await next()
    } catch (error) {
      admission.release()
      throw error
    }
    const response = admission.finish(c.res) as Response
    // Hono's setter copies the headers into yet another Response: only when there is a new one.
    if (response !== c.res) c.res = response
  }
}
