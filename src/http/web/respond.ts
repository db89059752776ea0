import type { OutgoingHttpHeaders } from 'node:http'
import type { ShedError } from '../../degrade/shed/error.js'
import {
  BASE_HEADERS,
  FAILURE_BODY,
  GONE_STATUS,
  isReadMethod,
  METHOD_NOT_ALLOWED,
  REFUSAL_STATUS,
  refusalBody,
  refusalHeaders,
} from '../answers.js'

/** A Web handler of the observation entries: a request to its answer, at once. */
export type WebHandler = (request: Request) => Response

/** Headers for a Web Response, from the node-style header records the node handlers share. */
export function webHeaders(contentType: string, headers: Readonly<OutgoingHttpHeaders> = {}): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries({ ...BASE_HEADERS, ...headers })) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  out['Content-Type'] = contentType
  return out
}

/** A complete answer; HEAD gets the headers only. */
export function webSend(
  request: Request,
  status: number,
  contentType: string,
  body: string,
  headers?: Readonly<OutgoingHttpHeaders>,
): Response {
  return new Response(request.method === 'HEAD' ? null : body, { status, headers: webHeaders(contentType, headers) })
}

export function webJson(
  request: Request,
  status: number,
  value: unknown,
  headers?: Readonly<OutgoingHttpHeaders>,
): Response {
  return webSend(request, status, 'application/json; charset=utf-8', JSON.stringify(value), headers)
}

/** GET and HEAD only, as the node handlers: anything else gets 405 with `Allow`. */
export function rejectWebMethod(request: Request): Response | undefined {
  if (isReadMethod(request.method)) return undefined
  return webJson(request, METHOD_NOT_ALLOWED.status, METHOD_NOT_ALLOWED.body, METHOD_NOT_ALLOWED.headers)
}

export function refusal(error: ShedError): Response {
  return new Response(refusalBody(error), { status: REFUSAL_STATUS, headers: refusalHeaders(error) })
}

export function failure(): Response {
  return new Response(FAILURE_BODY, {
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  })
}

export function gone(): Response {
  return new Response(null, { status: GONE_STATUS })
}
