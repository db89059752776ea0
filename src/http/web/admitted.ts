import { describe } from '../../util/validate.js'
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
 */
export class AdmittedRequest {
  readonly release: () => void
  readonly #request: Request
  readonly #follows: boolean
  readonly #where: string
  readonly #report: (error: unknown) => void

  /** `held` is what the request holds: its slot, and its reservation when it reserves bytes. */
  constructor(
    held: { readonly release: () => void },
    request: Request,
    follows: boolean,
    where: string,
    report: (error: unknown) => void,
  ) {
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
   * caller unchanged; a Response is passed to `finish`.
   */
  run<Rest extends unknown[]>(handler: (request: never, ...rest: Rest) => unknown, rest: Rest): Promise<unknown> {
    let result: unknown
    try {
      result = (handler as (request: Request, ...rest: Rest) => unknown)(this.#request, ...rest)
    } catch (error) {
      this.release()
      return Promise.reject(error)
    }
    return Promise.resolve(result).then(
      (response) => this.finish(response),
      (error: unknown) => {
        this.release()
        throw error
      },
    )
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
