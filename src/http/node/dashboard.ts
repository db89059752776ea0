import type { IncomingMessage, ServerResponse } from 'node:http'
import { Dashboard, type DashboardOptions } from '../../observe/dashboard/dashboard.js'
import { dashboardRoute, EVENT_STREAM_TYPE, PAGE_HEADERS, queryOf, STREAM_HEADERS, UNAUTHORIZED } from '../answers.js'
import type { StreamClient } from '../../observe/dashboard/stream.js'
import type { ObservedController } from '../../observe/observed.js'
import { rejectMethod, send, sendJson, type RequestHandler } from './respond.js'
import { answerLeaks } from '../leaks-answer.js'

export type { DashboardOptions } from '../../observe/dashboard/dashboard.js'

/** The dashboard's request handler, plus what a server needs to shut down with it. */
export interface DashboardHandler extends RequestHandler {
  /** Live event streams open now. */
  readonly connections: number
  /** Ends every live stream, e.g. before `server.close()` (which waits for open connections). */
  close(): void
}

/**
 * A live dashboard for one controller: the pressure ratio over time with the thresholds and
 * level bands, the current level, sources, caches, shedding, flags, tasks, recent transitions
 * and the leak trend. It is a plain request handler and serves nothing until the application
 * mounts it at a path of its choice. On that path:
 *
 * - `GET <path>` — the page;
 * - `GET <path>?stream=1` — Server-Sent Events (`snapshot`, then `update`s), used by the page;
 * - `GET <path>?format=json` — the same state once, as JSON;
 * - `?leaks=…` — the leak report as text, its `.heapprofile`, or (POST) a capture.
 *
 * Every request needs the token; without it the answer is 401.
 * @throws TypeError when `token` is missing or not a string; RangeError when it is shorter than 16 characters.
 */
export function dashboardHandler(pressure: ObservedController, options: DashboardOptions): DashboardHandler {
  const dashboard = new Dashboard('dashboardHandler', pressure, options)
  const { stream } = dashboard

  const handler = function heapguardDashboard(req: IncomingMessage, res: ServerResponse): void {
    const query = queryOf(req.url)
    switch (dashboardRoute(dashboard, req.method, req.headers.authorization, query)) {
      case 'method-not-allowed':
        rejectMethod(req, res)
        return
      case 'unauthorized':
        sendJson(req, res, UNAUTHORIZED.status, UNAUTHORIZED.body, UNAUTHORIZED.headers)
        return
      case 'stream':
        openStream(req, res, dashboard)
        return
      case 'json':
        sendJson(req, res, 200, dashboard.json())
        return
      case 'page':
        send(req, res, 200, 'text/html; charset=utf-8', dashboard.page, PAGE_HEADERS)
        return
      case 'leaks': {
        const answer = answerLeaks(dashboard.controller, req.method, query)
        send(req, res, answer.status, answer.contentType, answer.body, answer.headers)
      }
    }
  } as DashboardHandler

  Object.defineProperty(handler, 'connections', { get: () => stream.connections, enumerable: true })
  handler.close = () => stream.closeAll()
  return handler
}

/** Answers with the event stream, held on the response until either side ends it. */
function openStream(req: IncomingMessage, res: ServerResponse, dashboard: Dashboard): void {
  res.writeHead(200, { ...STREAM_HEADERS, 'Content-Type': EVENT_STREAM_TYPE, Connection: 'keep-alive' })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  const client: StreamClient = {
    get backlog() {
      return res.writableLength
    },
    write: (text) => void res.write(text),
    end: () => void res.end(),
    abort: () => void res.destroy(),
  }
  if (!dashboard.stream.open(client)) return
  // 'close' fires when the client goes away or the response ends, whichever comes first.
  res.once('close', () => dashboard.stream.drop(client))
  req.socket.setNoDelay?.(true)
}
