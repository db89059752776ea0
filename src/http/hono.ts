import type { Context, MiddlewareHandler } from 'hono'
import { isShedError } from './policy.js'
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
      if (!isShedError(error)) throw error
      c.res = admission.refuse(error)
      return
    }
    // Hono hands a handler's error to `onError` before `next()` returns: a refusal raised there
    // (`pressure.reserve()`, `shed.run()`) is answered as one at the door, whatever `onError` made of it.
    if (isShedError(c.error)) {
      admission.release()
      c.res = undefined
      c.res = admission.refuse(c.error)
      return
    }
    const response = admission.finish(c.res) as Response
    // Hono's setter copies the headers into yet another Response: only when there is a new one.
    if (response !== c.res) c.res = response
  }
}
