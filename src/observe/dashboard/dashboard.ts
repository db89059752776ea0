import type { OutgoingHttpHeaders } from 'node:http'
import { checkNumber, checkOptions, checkString } from '../../util/validate.js'
import { checkController, type ObservedController } from '../observed.js'
import { BASE_HEADERS, isReadMethod } from '../respond.js'
import { DASHBOARD_CSP, renderPage } from './page.js'
import { readState, type DashboardState } from './state.js'
import type { Sample } from '../../pressure/types.js'
import { DashboardStream } from './stream.js'
import { TokenCheck } from './token.js'
import { answerLeaks, type LeaksAnswer } from './leaks.js'

export interface DashboardOptions {
  /**
   * Required secret (at least 16 characters), sent as `Authorization: Bearer <token>` or
   * `?token=<token>`. Generate one, e.g. `crypto.randomBytes(24).toString('base64url')`.
   */
  token: string
  /** Shortest time between two live updates, ms. Default 500. */
  updateMs?: number
  /** Page title. Default `'heapguard'`. */
  title?: string
}

/** Idle streams get a comment line this often, so proxies keep them open. */
const HEARTBEAT_MS = 15_000

/** What a request to the dashboard gets, decided from its method, its token and its query. */
export type DashboardRoute = 'method-not-allowed' | 'unauthorized' | 'stream' | 'json' | 'page' | 'leaks'

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

/**
 * One dashboard of one controller, whatever serves it (the node handler of `heapguard/http`, the
 * Web handler of `heapguard/web`): the checked options, the page, the live stream, and the
 * routing of a request.
 */
export class Dashboard {
  readonly controller: ObservedController
  readonly stream: DashboardStream
  readonly page: string
  readonly #auth: TokenCheck

  /** @throws TypeError when `token` is missing or not a string; RangeError when it is shorter than 16 characters. */
  constructor(where: string, pressure: unknown, options: unknown) {
    this.controller = checkController(where, pressure)
    if (options === undefined) throw new TypeError(`${where}: options { token } are required`)
    const {
      token,
      updateMs = 500,
      title = 'heapguard',
    } = checkOptions<DashboardOptions>(where, 'options', options, ['token', 'updateMs', 'title'])
    this.#auth = new TokenCheck(where, token)
    checkNumber(where, 'option `updateMs`', updateMs, { min: 50, max: 60_000 })
    checkString(where, 'option `title`', title)
    this.stream = new DashboardStream(this.controller, { updateMs, heartbeatMs: HEARTBEAT_MS })
    this.page = renderPage({ title, token: token! })
  }

  /**
   * - `GET <path>` — the page;
   * - `GET <path>?stream=1` — Server-Sent Events (`snapshot`, then `update`s), used by the page;
   * - `GET <path>?format=json` — the same state once, as JSON;
   * - `?leaks=…` — the leak report as text, its `.heapprofile`, or (POST) a capture: see `leaks()`.
   *
   * Every request needs the token; without it the answer is 401.
   */
  route(method: string | undefined, authorization: string | null | undefined, query: URLSearchParams): DashboardRoute {
    if (query.has('leaks')) return this.#auth.allows(authorization, query) ? 'leaks' : 'unauthorized'
    if (!isReadMethod(method)) return 'method-not-allowed'
    if (!this.#auth.allows(authorization, query)) return 'unauthorized'
    if (query.has('stream')) return 'stream'
    return query.get('format') === 'json' ? 'json' : 'page'
  }

  /** The answer to a `?leaks=…` request (the route checked the token). */
  leaks(method: string | undefined, query: URLSearchParams): LeaksAnswer {
    return answerLeaks(this.controller, method, query)
  }

  /** The answer to `?format=json`. */
  json(): { state: DashboardState; history: Sample[] } {
    return { state: readState(this.controller), history: this.controller.history() }
  }
}
