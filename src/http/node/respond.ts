import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** Headers on every answer: nothing is cached (the state changes by the second) or sniffed. */
export const BASE_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
})

/** Writes a complete answer; HEAD gets the headers only. */
export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    ...BASE_HEADERS,
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers)
}

/** The observation handlers serve only reads; anything else is told which methods are. */
export function isReadMethod(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD'
}

export const METHOD_NOT_ALLOWED = Object.freeze({
  status: 405,
  body: Object.freeze({ error: 'method not allowed' }),
  headers: Object.freeze({ Allow: 'GET, HEAD' }),
})

export function rejectMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (isReadMethod(req.method)) return false
  sendJson(req, res, METHOD_NOT_ALLOWED.status, METHOD_NOT_ALLOWED.body, METHOD_NOT_ALLOWED.headers)
  return true
}

/** The query string of a request URL (a path or a whole URL), wherever the application mounted the handler. */
export function queryOf(url: string | undefined): URLSearchParams {
  const q = url?.indexOf('?') ?? -1
  return new URLSearchParams(q === -1 ? '' : url!.slice(q + 1))
}

/** A node:http handler that also fits Connect/Express (`next` is accepted and never needed). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void
