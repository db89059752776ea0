import { isThenable } from '../../util/safe-call.js'
import { checkFunction } from '../../util/validate.js'
import { AdmittedRequest } from './admitted.js'
import { WebGuard, type SharedController, type WebShedOptions } from './guard.js'

/** `withPressure(handler, options)`: `{ pressure?, priority?, retryAfter?, bytes? }`. */
export type WithPressureOptions<Req extends Request = Request> = WebShedOptions<Req>

const W = 'withPressure'

/** `withPressure` (src/web.ts documents it), given where it finds the controller when the options name none. */
export function guardHandler<Req extends Request, Rest extends unknown[]>(
  handler: (request: Req, ...rest: Rest) => Response | PromiseLike<Response>,
  options: WithPressureOptions<Req> | undefined,
  shared: SharedController,
): (request: Req, ...rest: Rest) => Promise<Response> {
  checkFunction(W, 'argument `handler`', handler)
  const guard = new WebGuard<Req>(W, options, shared)
  return function heapguardWithPressure(request: Req, ...rest: Rest): Promise<Response> {
    let admission
    try {
      admission = guard.admit(request, request)
    } catch (error) {
      return Promise.reject(error)
    }
    if (admission instanceof AdmittedRequest) return admission.run(handler, rest) as Promise<Response>
    if (!isThenable(admission)) return Promise.resolve(admission)
    return admission.then((later) =>
      later instanceof AdmittedRequest ? (later.run(handler, rest) as Promise<Response>) : later,
    )
  }
}
