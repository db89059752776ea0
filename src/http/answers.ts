import type { OutgoingHttpHeaders } from 'node:http'
import type { ShedError } from '../degrade/shed/error.js'
import { DASHBOARD_CSP } from '../observe/dashboard/page.js'

/** The one answer every refused HTTP request gets, whatever the framework. */
export const REFUSAL_STATUS = 503

/** `{ error, level, retryAfter }`: enough for a client or a dashboard to know why and when to retry. */
export function refusalBody(error: ShedError): string {
  return JSON.stringify({ error: 'Service Unavailable', level: error.level, retryAfter: error.retryAfter })
}

/** Headers of a refusal; `no-store` keeps proxies from caching a momentary 503. */
export function refusalHeaders(error: ShedError): Record<string, string> {
  return {
    'retry-after': String(error.retryAfter),
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  }
}

/** What a request gets when heapguard itself cannot let it through (its priority function failed, say). */
export const FAILURE_BODY = JSON.stringify({ error: 'Internal Server Error' })

/** Status for a request whose client left while it waited: nobody reads it (nginx's "client closed request"). */
export const GONE_STATUS = 499

/** Headers on every answer: nothing is cached (the state changes by the second) or sniffed. */
export const BASE_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
})

/** The observation handlers serve only reads; anything else is told which methods are. */
export function isReadMethod(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD'
}

export const METHOD_NOT_ALLOWED = Object.freeze({
  status: 405,
  body: Object.freeze({ error: 'method not allowed' }),
  headers: Object.freeze({ Allow: 'GET, HEAD' }),
})

/** The query string of a request URL (a path or a whole URL), wherever the application mounted the handler. */
export function queryOf(url: string | undefined): URLSearchParams {
  const q = url?.indexOf('?') ?? -1
  return new URLSearchParams(q === -1 ? '' : url!.slice(q + 1))
}

export const UNAUTHORIZED = Object.freeze({
  status: 401,
  body: Object.freeze({ error: 'a valid token is required (Authorization: Bearer <token> or ?token=<token>)' }),
  headers: Object.freeze({ 'WWW-Authenticate': 'Bearer realm="heapguard"' }),
})

/** The page may run only its own script and style, and no other page may frame it. */
export const PAGE_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
})

export const EVENT_STREAM_TYPE = 'text/event-stream; charset=utf-8'

/** Headers of the event stream, besides its content type. */
export const STREAM_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  ...BASE_HEADERS,
  // Proxies such as nginx buffer responses by default, which would hold the events back.
  'X-Accel-Buffering': 'no',
})
