import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpGuard, ShedHttpOptions } from './http-guard.js'
import { writeRefusal } from './refusal-response.js'

/**
 * Load shedding for node:http, Connect and Express.
 *
 * - With `next` (Connect, Express 4 and 5): calls `next()` once the request is admitted; a
 *   refused request is answered with 503 and `next` is not called.
 * - Without `next` (plain node:http): returns a promise of `true` once admitted (handle the
 *   request), or `false` when it was answered with 503 or its client left while it waited
 *   (do nothing).
 */
export interface ShedMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
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
          () => resolve(true),
          (error) => {
            writeRefusal(error, res)
            resolve(false)
          },
          () => resolve(false),
        )
      })
    }
    guard.pass(req, res, next, writeRefusal)
  }
  return heapguardShed
}

/** `shed.middleware(options)`: `{ priority?: (req) => Priority, retryAfter?: seconds }`. */
export type ShedMiddlewareOptions<Req extends IncomingMessage = IncomingMessage> = ShedHttpOptions<Req>
