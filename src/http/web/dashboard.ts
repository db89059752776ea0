import { Dashboard, type DashboardOptions } from '../../observe/dashboard/dashboard.js'
import { dashboardRoute, EVENT_STREAM_TYPE, PAGE_HEADERS, queryOf, STREAM_HEADERS, UNAUTHORIZED } from '../answers.js'
import type { StreamClient } from '../../observe/dashboard/stream.js'
import type { ObservedController } from '../../observe/observed.js'
import { rejectWebMethod, webHeaders, webJson, webSend, type WebHandler } from './respond.js'
import { answerLeaks } from '../leaks-answer.js'

/** The dashboard as a Web handler, plus what a server needs to shut down with it. */
export interface WebDashboardHandler extends WebHandler {
  /** Live event streams open now. */
  readonly connections: number
  /** Ends every live stream, e.g. before the server closes. */
  close(): void
}

/**
 * The live dashboard as a Web handler (`Request → Response`), with the same page, JSON, event
 * stream, token rule and headers as the node one from `heapguard/http`. The event stream is the
 * Response's body: it ends when the client leaves (the framework cancels the body, or the
 * request's `signal` aborts), when `close()` is called, or when the controller closes.
 *
 * @throws TypeError when `token` is missing or not a string; RangeError when it is shorter than 16 characters.
 */
export function dashboardHandler(pressure: ObservedController, options: DashboardOptions): WebDashboardHandler {
  const dashboard = new Dashboard('dashboardHandler', pressure, options)
  const { stream } = dashboard

  const handler = function heapguardDashboard(request: Request): Response {
    const query = queryOf(request.url)
    switch (dashboardRoute(dashboard, request.method, request.headers.get('authorization'), query)) {
      case 'method-not-allowed':
        return rejectWebMethod(request)!
      case 'unauthorized':
        return webJson(request, UNAUTHORIZED.status, UNAUTHORIZED.body, UNAUTHORIZED.headers)
      case 'stream':
        return openStream(request, dashboard)
      case 'json':
        return webJson(request, 200, dashboard.json())
      case 'page':
        return webSend(request, 200, 'text/html; charset=utf-8', dashboard.page, PAGE_HEADERS)
      case 'leaks': {
        const answer = answerLeaks(dashboard.controller, request.method, query)
        return webSend(request, answer.status, answer.contentType, answer.body, answer.headers)
      }
    }
  } as WebDashboardHandler

  Object.defineProperty(handler, 'connections', { get: () => stream.connections, enumerable: true })
  handler.close = () => stream.closeAll()
  return handler
}

const encoder = new TextEncoder()

/** The event stream as a ReadableStream body, queued by bytes so that a client that stops reading is seen. */
function openStream(request: Request, dashboard: Dashboard): Response {
  const headers = webHeaders(EVENT_STREAM_TYPE, STREAM_HEADERS)
  if (request.method === 'HEAD') return new Response(null, { status: 200, headers })
  let client: StreamClient | undefined
  let ended = false
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const end = (finish: () => void): void => {
          if (ended) return
          ended = true
          try {
            finish()
          } catch {
            // Already closed or errored by the framework: nothing left to end.
          }
        }
        client = {
          // With a high-water mark of 0, what is queued is exactly minus the desired size.
          get backlog() {
            return -(controller.desiredSize ?? 0)
          },
          write: (text) => {
            if (!ended) controller.enqueue(encoder.encode(text))
          },
          end: () => end(() => controller.close()),
          abort: () => end(() => controller.error(new Error('heapguard dashboard: the client stopped reading'))),
        }
        dashboard.stream.open(client)
      },
      cancel() {
        ended = true
        if (client !== undefined) dashboard.stream.drop(client)
      },
    },
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  )
  // Frameworks cancel the body when the client leaves; some only abort the request's signal.
  request.signal?.addEventListener?.(
    'abort',
    () => {
      if (client === undefined) return
      dashboard.stream.drop(client)
      client.end()
    },
    { once: true },
  )
  return new Response(body, { status: 200, headers })
}
