import { checkFunction } from '../../util/validate.js'
import { AdmittedRequest } from './admitted.js'
import { WebGuard, type WebShedOptions } from './guard.js'

/** `withPressure(handler, options)`: `{ pressure?, priority?, retryAfter? }`. */
export type WithPressureOptions<Req extends Request = Request> = WebShedOptions<Req>

const W = 'withPressure'

/**
 * Load shedding for a Web handler (`Request → Response`): a Next.js route handler, a Hono or
 * SvelteKit endpoint, `Bun.serve` or `Deno.serve`. The wrapped handler has the handler's own
 * signature (Next.js's `{ params }` and any other argument are passed through).
 *
 * - A refused request gets `503` with `Retry-After` and `{ error, level, retryAfter }`, the same
 *   answer as the node middleware gives; the handler does not run.
 * - An admitted request holds its slot until the handler's Response is produced; when the
 *   controller limits concurrency, a streamed body holds it until the stream ends or is
 *   cancelled, and an abort of `request.signal` gives it back at once.
 * - A handler that throws or rejects gives its slot back and the error reaches the framework
 *   unchanged, so its own error handling applies.
 *
 * @throws TypeError when `handler` is not a function or an option has the wrong type;
 *   RangeError for an unknown priority or a bad `retryAfter`.
 */
export function withPressure<Req extends Request, Rest extends unknown[]>(
  handler: (request: Req, ...rest: Rest) => Response | PromiseLike<Response>,
  options?: WithPressureOptions<Req>,
): (request: Req, ...rest: Rest) => Promise<Response> {
  checkFunction(W, 'argument `handler`', handler)
  const guard = new WebGuard<Req>(W, options)
  return function heapguardWithPressure(request: Req, ...rest: Rest): Promise<Response> {
    let admission
    try {
      admission = guard.admit(request, request)
    } catch (error) {
      return Promise.reject(error)
    }
    if (admission instanceof AdmittedRequest) return admission.run(handler, rest) as Promise<Response>
    if (!isPromiseLike(admission)) return Promise.resolve(admission)
    return admission.then((later) =>
      later instanceof AdmittedRequest ? (later.run(handler, rest) as Promise<Response>) : later,
    )
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T>).then === 'function'
}
