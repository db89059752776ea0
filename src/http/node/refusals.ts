import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkRefusal } from '../answers.js'
import { isShedError } from '../policy.js'
import { writeRefusal } from './respond.js'

/**
 * heapguard's standard refusal on a node response, for code that catches its own `ShedError` (a
 * `pressure.reserve()` in a `try`, `shed.run()`): `503`, `Retry-After` and
 * `{ error, level, retryAfter }`, the answer a refusal at the door gets. A response whose headers
 * are already out cannot become a 503: its connection is ended instead, so the client sees a
 * failure rather than a truncated success.
 *
 * @throws TypeError when `error` is not a `ShedError`.
 */
export function sendRefusal(res: ServerResponse, error: unknown): void {
  const refusal = checkRefusal('sendRefusal', error)
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy()
    return
  }
  writeRefusal(refusal, res)
}

/** An Express (4 and 5) or Connect error-handling middleware: four parameters. */
export type ShedErrorHandler = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void

/**
 * The error path of Express and Connect: `app.use(shedErrorHandler())` after the routes answers a
 * `ShedError` that a handler threw, rejected with (Express 5) or passed to `next(err)` with the
 * 503 of `sendRefusal`; any other error goes on to the next error handler unchanged.
 *
 * The shedding middleware cannot do it: Express routes a handler's error to the error-handling
 * middleware after it, never back through the middleware that admitted the request.
 */
export function shedErrorHandler(): ShedErrorHandler {
  return function heapguardShedErrors(error, _req, res, next) {
    if (!isShedError(error) || res.headersSent) {
      next(error)
      return
    }
    writeRefusal(error, res)
  }
}
