import { checkNumber, checkOptions, checkString } from '../../util/validate.js'
import { checkController, type ObservedController } from '../observed.js'
import { isReadMethod } from '../../http/answers.js'
import { renderPage } from './page.js'
import { readState, type DashboardState } from './state.js'
import type { Sample } from '../../pressure/types.js'
import { DashboardStream } from './stream.js'
import { TokenCheck } from './token.js'

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
export type DashboardRoute = 'method-not-allowed' | 'unauthorized' | 'stream' | 'json' | 'page'

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
   * - `GET <path>?format=json` — the same state once, as JSON.
   *
   * Every request needs the token; without it the answer is 401.
   */
  route(method: string | undefined, authorization: string | null | undefined, query: URLSearchParams): DashboardRoute {
    if (!isReadMethod(method)) return 'method-not-allowed'
    if (!this.#auth.allows(authorization, query)) return 'unauthorized'
    if (query.has('stream')) return 'stream'
    return query.get('format') === 'json' ? 'json' : 'page'
  }

  /** The answer to `?format=json`. */
  json(): { state: DashboardState; history: Sample[] } {
    return { state: readState(this.controller), history: this.controller.history() }
  }
}
