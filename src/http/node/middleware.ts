import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ShedderCore } from '../../degrade/shed/shedder.js'
import type { Priority } from '../../degrade/shed/priority.js'
import { checkOptions } from '../../util/validate.js'
import { GUARD_OPTION_KEYS, RequestPolicy, type RequestBytes } from '../policy.js'
import { targetOf, type GuardTarget } from '../target.js'
import { HttpGuard } from './guard.js'
import { answerFailure, writeRefusal } from './respond.js'

/** `shed.middleware(options)`, and the Fastify plugin's options besides `pressure`. */
export interface ShedMiddlewareOptions<Req = IncomingMessage> {
  /**
   * The priority of a request; default `'normal'` for every request. Decide it on the server
   * (route, method, authenticated caller), never from a client-supplied header, or every client
   * will claim `critical`. A function that throws or returns something else than a priority is
   * reported and the request treated as `'normal'` (docs/shedding.md#a-priority-function-that-fails).
   */
  priority?: (req: Req) => Priority
  /** Seconds sent in `Retry-After` when this guard refuses; default the controller's `shed.retryAfter`. */
  retryAfter?: number
  /**
   * Bytes each admitted request reserves (`pressure.reserve`) until its response ends: a number,
   * or a function of the request (say, rows asked × bytes per row), which may return a promise
   * (count first). A request that does not fit gets the same 503 as any refusal; a function that
   * throws, rejects, or gives anything but a finite number >= 0 has its request answered with 500,
   * and is reported. Default: none.
   */
  bytes?: RequestBytes<Req>
}

/** `pressure.shed.middleware`: builds a middleware; every call checks its options. */
export interface ShedMiddlewareFactory {
  <Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
    options?: ShedMiddlewareOptions<Req>,
  ): ShedMiddleware<Req, Res>
}

/** `pressure.shed`: load shedding by priority (see `ShedderCore`), and its middleware for node:http. */
export interface Shedder extends ShedderCore {
  /**
   * Middleware for node:http, Connect and Express. Refused requests are answered at once with
   * 503, `Retry-After` and `{ error, level, retryAfter }`; an admitted request holds its slot
   * (and the bytes it reserves) until its response closes (finished, or the client went away).
   */
  readonly middleware: ShedMiddlewareFactory
}

const W = 'shed.middleware'

/** `shed.middleware` of the controller `target`: the composition root (src/controller.ts) hands it to the shedder. */
export function shedMiddleware(target: GuardTarget): ShedMiddlewareFactory {
  const checked = targetOf(W, target)
  return function middleware<Req extends IncomingMessage, Res extends ServerResponse>(
    options: ShedMiddlewareOptions<Req> = {},
  ): ShedMiddleware<Req, Res> {
    const own = checkOptions<ShedMiddlewareOptions<Req>>(W, 'options', options, GUARD_OPTION_KEYS)
    return createShedMiddleware<Req, Res>(new HttpGuard<Req>(checked, RequestPolicy.of<Req>(W, own, 'function')))
  }
}

/**
 * Load shedding for node:http, Connect and Express.
 *
 * - With `next` (Connect, Express 4 and 5): calls `next()` once the request is admitted; a
 *   refused request is answered with 503 and `next` is not called. When the decision is
 *   immediate, an exception thrown by `next()` propagates to the caller of the middleware, as it
 *   would without it; after a wait in the queue it is reported and the request answered with 500.
 * - Without `next` (plain node:http): returns a promise of `true` once admitted (handle the
 *   request), or `false` when it was answered (503, or 500 when its `bytes` function failed) or
 *   its client left while it waited (do nothing).
 */
export interface ShedMiddleware<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> {
  (req: Req, res: Res, next: (error?: unknown) => void): void
  (req: Req, res: Res): Promise<boolean>
}

function createShedMiddleware<Req extends IncomingMessage, Res extends ServerResponse>(
  guard: HttpGuard<Req>,
): ShedMiddleware<Req, Res> {
  function heapguardShed(req: Req, res: Res): Promise<boolean>
  function heapguardShed(req: Req, res: Res, next: (error?: unknown) => void): void
  function heapguardShed(req: Req, res: Res, next?: (error?: unknown) => void): void | Promise<boolean> {
    if (next === undefined) {
      return new Promise<boolean>((resolve) => {
        guard.pass(
          req,
          res,
          res,
          () => resolve(true),
          (error, response) => {
            writeRefusal(error, response)
            resolve(false)
          },
          {
            gone: () => resolve(false),
            failed: (response) => {
              answerFailure(response)
              resolve(false)
            },
          },
        )
      })
    }
    guard.pass(req, res, res, next, writeRefusal)
  }
  return heapguardShed
}
