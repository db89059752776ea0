import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkNumber, checkOptions, checkString } from '../../util/validate.js'
import { DASHBOARD_CSP, renderPage } from './page.js'
import { DashboardStream } from './stream.js'
import { checkController, type ObservedController } from '../observed.js'
import { queryOf, rejectMethod, send, sendJson, type RequestHandler } from '../respond.js'
import { readState } from './state.js'
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

/** The dashboard's request handler, plus what a server needs to shut down with it. */
export interface DashboardHandler extends RequestHandler {
  /** Live event streams open now. */
  readonly connections: number
  /** Ends every live stream, e.g. before `server.close()` (which waits for open connections). */
  close(): void
}

const W = 'dashboardHandler'
/** Idle streams get a comment line this often, so proxies keep them open. */
const HEARTBEAT_MS = 15_000

/**
 * A live dashboard for one controller: the pressure ratio over time with the thresholds and
 * level bands, the current level, sources, caches, shedding, flags, tasks, recent transitions
 * and the leak trend. It is a plain request handler and serves nothing until the application
 * mounts it at a path of its choice. On that path:
 *
 * - `GET <path>` — the page;
 * - `GET <path>?stream=1` — Server-Sent Events (`snapshot`, then `update`s), used by the page;
 * - `GET <path>?format=json` — the same state once, as JSON.
 *
 * Every request needs the token; without it the answer is 401.
 * @throws TypeError when `token` is missing or not a string; RangeError when it is shorter than 16 characters.
 */
export function dashboardHandler(pressure: ObservedController, options: DashboardOptions): DashboardHandler {
  const controller = checkController(W, pressure)
  if (options === undefined) throw new TypeError(`${W}: options { token } are required`)
  const {
    token,
    updateMs = 500,
    title = 'heapguard',
  } = checkOptions<DashboardOptions>(W, 'options', options, ['token', 'updateMs', 'title'])
  const auth = new TokenCheck(W, token)
  checkNumber(W, 'option `updateMs`', updateMs, { min: 50, max: 60_000 })
  checkString(W, 'option `title`', title)
  const stream = new DashboardStream(controller, { updateMs, heartbeatMs: HEARTBEAT_MS })
  const page = renderPage({ title, token: token! })

  const handler = function heapguardDashboard(req: IncomingMessage, res: ServerResponse): void {
    if (rejectMethod(req, res)) return
    const query = queryOf(req)
    if (!auth.allows(req, query)) {
      sendJson(
        req,
        res,
        401,
        { error: 'a valid token is required (Authorization: Bearer <token> or ?token=<token>)' },
        {
          'WWW-Authenticate': 'Bearer realm="heapguard"',
        },
      )
      return
    }
    if (query.has('stream')) {
      stream.open(req, res)
    } else if (query.get('format') === 'json') {
      sendJson(req, res, 200, { state: readState(controller), history: controller.history() })
    } else {
      send(req, res, 200, 'text/html; charset=utf-8', page, {
        'Content-Security-Policy': DASHBOARD_CSP,
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
      })
    }
  } as DashboardHandler

  Object.defineProperty(handler, 'connections', { get: () => stream.connections, enumerable: true })
  handler.close = () => stream.closeAll()
  return handler
}
