import type { ShedError } from '../../degrade/shed/error.js'
import { describe } from '../../util/validate.js'
import { isShedError } from '../policy.js'
import { holdBody, isByteStream } from './held-body.js'

/**
 * A Web request that holds a slot (and its reservation), and when it gives them back.
 *
 * When the slot can matter (the controller limits concurrency at some level), it follows the
 * request: an abort of `request.signal` gives it back at once, and a streamed body keeps it until
 * the stream ends or is cancelled. When nothing waits on a slot, following the request would cost
 * a listener and a body check per request for no decision: the slot is then given back as soon as
 * the handler's Response is produced (or the handler fails).
 *
 * `release` is idempotent: every exit path may call it, and the slot is given back once.
 *
 * A `ShedError` the handler throws or rejects with (a `pressure.reserve()` after a count query,
 * `shed.run()`) is a refusal like one at the door: it is answered with the guard's 503.
 */
export class AdmittedRequest {
  readonly release: () => void
  readonly #request: Request
  readonly #follows: boolean
  readonly #where: string
  readonly #report: (error: unknown) => void
  readonly #refuse: (error: ShedError) => Response

  /**
   * `held` is what the request holds: its slot, and its reservation when it reserves bytes;
   * `refuse` is the guard's 503 for a refusal raised inside the handler.
   */
  constructor(
    held: { readonly release: () => void },
    request: Request,
    follows: boolean,
    where: string,
    report: (error: unknown) => void,
    refuse: (error: ShedError) => Response,
  ) {
    this.#refuse = refuse
    this.#request = request
    this.#follows = follows
    this.#where = where
    this.#report = report
    // Optional calls: a request from another realm or a framework's own Request class is used by shape.
    const signal = follows ? request.signal : undefined
    if (signal?.addEventListener === undefined) {
      this.release = held.release
      return
    }
    // The listener goes when the slot does: a signal may outlive the request (one shared by calls).
    const release = (): void => {
      signal.removeEventListener?.('abort', release)
      held.release()
    }
    this.release = release
    signal.addEventListener('abort', release, { once: true })
  }

  /**
   * Calls the handler in the slot. A throw or a rejection gives the slot back and reaches the
   * caller unchanged, except a `ShedError`, answered 503 (`fail`); a Response is passed to `finish`.
   */
  run<Rest extends unknown[]>(handler: (request: never, ...rest: Rest) => unknown, rest: Rest): Promise<unknown> {
    let result: unknown
    try {
      result = (handler as (request: Request, ...rest: Rest) => unknown)(this.#request, ...rest)
    } catch (error) {
      return this.fail(error)
    }
    return Promise.resolve(result).then(
      (response) => this.finish(response),
      (error: unknown) => this.fail(error),
    )
  }

  /** The handler failed: the slot is given back; a refusal is answered 503, anything else rejects unchanged. */
  fail(error: unknown): Promise<Response> {
    this.release()
    return isShedError(error) ? Promise.resolve(this.#refuse(error)) : Promise.reject(error)
  }

  /** The 503 for a refusal raised inside the handler (the guard's `Retry-After` when it has its own). */
  refuse(error: ShedError): Response {
    return this.#refuse(error)
  }

  /**
   * What to answer with: the handler's Response, its body held when the slot follows the request
   * and the body is a stream still being produced. Anything but a Response is a bug of the handler:
   * it is reported, the slot given back, and the value passed on for the framework to deal with.
   */
  finish(response: unknown): unknown {
    if (!isResponse(response)) {
      this.release()
      this.#report(
        new TypeError(
          `${this.#where}: the handler must return a Response, got ${describe(response)}; its slot was given back`,
        ),
      )
      return response
    }
    if (!this.#follows) {
      this.release()
      return response
    }
    const body = response.body
    // No body, nobody reading it (HEAD), one already being read, or bytes that exist in full.
    if (body === null || this.#request.method === 'HEAD' || body.locked || isByteStream(body)) {
      this.release()
      return response
    }
    return holdBody(response, body, this.release)
  }
}

/**
 * By shape, so that a Response of another realm or a framework's own class passes. `in` reads no
 * getter: @hono/node-server's Response builds its Headers (or a whole undici Response) when asked.
 */
function isResponse(value: unknown): value is Response {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Response).status === 'number' &&
    'headers' in value &&
    'body' in value
  )
}
