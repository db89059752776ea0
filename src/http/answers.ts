/**
 * What heapguard answers over HTTP, whatever the transport: each answer is a status, headers and
 * a body here, and node/respond.ts, web/respond.ts and fastify.ts only write them. To change what a
 * refused request gets (in Express, Fastify, Next.js and Hono alike), change `refusal` below.
 */
import type { ShedError } from '../degrade/shed/error.js'
import { DASHBOARD_CSP } from '../observe/dashboard/page.js'
import { describe } from '../util/validate.js'
import { isShedError } from './policy.js'

/** Header records, as both node's `writeHead` and the Web `Response` take them. */
export type HeaderRecord = Readonly<Record<string, string>>

/** One complete answer: status, headers and body (null: none). */
export interface Answer {
  readonly status: number
  readonly headers: HeaderRecord
  readonly body: string | null
}

const JSON_TYPE = 'application/json; charset=utf-8'

// ---- the shedding guards ------------------------------------------------------------------------

/** The status every refused request gets, whatever the framework. */
const REFUSAL_STATUS = 503

/**
 * A refused request (by the admission table, the queue, or memory its reservation does not fit):
 * 503, `Retry-After`, and `{ error, level, retryAfter }`, enough for a client or a dashboard to know
 * why and when to retry; `no-store` keeps proxies from caching a momentary 503.
 */
export function refusal(error: ShedError): Answer {
  return {
    status: REFUSAL_STATUS,
    headers: { 'retry-after': String(error.retryAfter), 'content-type': JSON_TYPE, 'cache-control': 'no-store' },
    body: JSON.stringify({ error: 'Service Unavailable', level: error.level, retryAfter: error.retryAfter }),
  }
}

/**
 * The argument of the public refusal helpers (`refusalResponse`, `sendRefusal`): a `ShedError` of
 * any copy of heapguard, else a TypeError naming what was passed (code that catches its own
 * errors must not turn a database error into a 503).
 */
export function checkRefusal(where: string, error: unknown): ShedError {
  if (isShedError(error)) return error
  throw new TypeError(
    `${where}: argument \`error\` must be a ShedError (code 'HEAPGUARD_SHED'), got ${describe(error)}`,
  )
}

/**
 * A request heapguard itself cannot let through: its `bytes` function failed (reported), or its
 * handler threw after a wait in the queue with nobody up the stack to answer.
 */
export const FAILURE: Answer = Object.freeze({
  status: 500,
  headers: Object.freeze({ 'content-type': JSON_TYPE, 'cache-control': 'no-store' }),
  body: JSON.stringify({ error: 'Internal Server Error' }),
})

/** A Web request whose client left while it waited: nobody reads it (nginx's "client closed request"). */
export const GONE: Answer = Object.freeze({ status: 499, headers: Object.freeze({}), body: null })

// ---- the observation handlers (health probe, dashboard) ----------------------------------------

/** Headers on every answer: nothing is cached (the state changes by the second) or sniffed. */
export const BASE_HEADERS: HeaderRecord = Object.freeze({
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
export const PAGE_HEADERS: HeaderRecord = Object.freeze({
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
})

export const EVENT_STREAM_TYPE = 'text/event-stream; charset=utf-8'

/** Headers of the event stream, besides its content type. */
export const STREAM_HEADERS: HeaderRecord = Object.freeze({
  ...BASE_HEADERS,
  // Proxies such as nginx buffer responses by default, which would hold the events back.
  'X-Accel-Buffering': 'no',
})

/** What a request to the dashboard gets, decided from its method, its token and its query. */
export type DashboardRoute = 'method-not-allowed' | 'unauthorized' | 'stream' | 'json' | 'page' | 'leaks'

/**
 * - `GET <path>` — the page;
 * - `GET <path>?stream=1` — Server-Sent Events (`snapshot`, then `update`s), used by the page;
 * - `GET <path>?format=json` — the same state once, as JSON;
 * - `?leaks=…` — the leak report as text, its `.heapprofile`, or (POST) a capture: see
 *   `Dashboard.leaks()`.
 *
 * Every request needs the token; without it the answer is 401.
 */
export function dashboardRoute(
  dashboard: { allows(authorization: string | null | undefined, query: URLSearchParams): boolean },
  method: string | undefined,
  authorization: string | null | undefined,
  query: URLSearchParams,
): DashboardRoute {
  if (query.has('leaks')) return dashboard.allows(authorization, query) ? 'leaks' : 'unauthorized'
  if (!isReadMethod(method)) return 'method-not-allowed'
  if (!dashboard.allows(authorization, query)) return 'unauthorized'
  if (query.has('stream')) return 'stream'
  return query.get('format') === 'json' ? 'json' : 'page'
}
