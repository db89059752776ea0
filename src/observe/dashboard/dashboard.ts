import { checkNumber, checkOptions, checkString } from '../../util/validate.js'
import { checkController, type ObservedController } from '../observed.js'
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

/**
 * One dashboard of one controller, whatever serves it (the node handler of `heapguard/http`, the
 * Web handler of `heapguard/web`, both in src/http): the checked options, the page, the live
 * stream, and the token check.
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

  /** Whether a request carries the token: `Authorization: Bearer <token>` or `?token=<token>`. */
  allows(authorization: string | null | undefined, query: URLSearchParams): boolean {
    return this.#auth.allows(authorization, query)
  }

  /** The answer to `?format=json`. */
  json(): { state: DashboardState; history: Sample[] } {
    return { state: readState(this.controller), history: this.controller.history() }
  }
}
