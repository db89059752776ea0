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

/** Only GET and HEAD are served; anything else is told which methods are. */
export function rejectMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false
  sendJson(req, res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' })
  return true
}

/** The query string of a request, whatever path the application mounted the handler at. */
export function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? ''
  const q = url.indexOf('?')
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
}

/** A node:http handler that also fits Connect/Express (`next` is accepted and never needed). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void
