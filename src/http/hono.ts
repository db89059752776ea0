import type { Context, MiddlewareHandler } from 'hono'
import { AdmittedRequest } from './web/admitted.js'
import { WebGuard, type SharedController, type WebShedOptions } from './web/guard.js'

/** `app.use(heapguardHono({ pressure?, priority?, retryAfter?, bytes? }))`; `priority` is given Hono's `Context`. */
export type HeapguardHonoOptions = WebShedOptions<Context>

const W = 'heapguardHono'

/** `heapguardHono` (src/hono.ts documents it), given where it finds the controller when the options name none. */
export function honoMiddleware(options: HeapguardHonoOptions | undefined, shared: SharedController): MiddlewareHandler {
  const guard = new WebGuard<Context>(W, options, shared)
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
