import type { ShedError } from '../../degrade/shed/error.js'
import {
  BASE_HEADERS,
  checkRefusal,
  FAILURE,
  GONE,
  isReadMethod,
  METHOD_NOT_ALLOWED,
  refusal as refusalAnswer,
  type Answer,
  type HeaderRecord,
} from '../answers.js'

/** A Web handler of the observation entries: a request to its answer, at once. */
export type WebHandler = (request: Request) => Response

/** Headers for a Web Response: the base headers, the answer's own, its content type. */
export function webHeaders(contentType: string, headers: HeaderRecord = {}): Record<string, string> {
  return { ...BASE_HEADERS, ...headers, 'Content-Type': contentType }
}

/** A complete answer; HEAD gets the headers only. */
export function webSend(
  request: Request,
  status: number,
  contentType: string,
  body: string,
  headers?: HeaderRecord,
): Response {
  return new Response(request.method === 'HEAD' ? null : body, { status, headers: webHeaders(contentType, headers) })
}

export function webJson(request: Request, status: number, value: unknown, headers?: HeaderRecord): Response {
  return webSend(request, status, 'application/json; charset=utf-8', JSON.stringify(value), headers)
}

/** GET and HEAD only, as the node handlers: anything else gets 405 with `Allow`. */
export function rejectWebMethod(request: Request): Response | undefined {
  if (isReadMethod(request.method)) return undefined
  return webJson(request, METHOD_NOT_ALLOWED.status, METHOD_NOT_ALLOWED.body, METHOD_NOT_ALLOWED.headers)
}

/** One of the guards' answers (http/answers.ts) as a Response. */
function toResponse(answer: Answer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers })
}

export function refusal(error: ShedError): Response {
  return toResponse(refusalAnswer(error))
}

/**
 * heapguard's standard refusal as a Web `Response`, for code that catches its own `ShedError`
 * (a `pressure.reserve()` in a `try`, `shed.run()` outside a guarded handler): `503`, `Retry-After`
 * and `{ error, level, retryAfter }`, the answer a refusal at the door gets.
 *
 * @throws TypeError when `error` is not a `ShedError`.
 */
export function refusalResponse(error: unknown): Response {
  return refusal(checkRefusal('refusalResponse', error))
}

export function failure(): Response {
  return toResponse(FAILURE)
}

export function gone(): Response {
  return toResponse(GONE)
}
