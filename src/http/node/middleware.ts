import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpGuard, ShedHttpOptions } from './guard.js'
import { answerFailure, writeRefusal } from './respond.js'

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

export function createShedMiddleware<Req extends IncomingMessage, Res extends ServerResponse>(
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

/** `shed.middleware(options)`: `{ priority?: (req) => Priority, retryAfter?: seconds, bytes?: number | (req) => number }`. */
export type ShedMiddlewareOptions<Req extends IncomingMessage = IncomingMessage> = ShedHttpOptions<Req>
