import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LevelChange, Sample } from '../../pressure/types.js'
import type { ObservedController } from '../observed.js'
import { BASE_HEADERS } from '../respond.js'
import { changeToPoint, readState, toPoint, type ChartPoint, type DashboardState } from './state.js'

/** What the page receives: the state, and chart points newer than what it has. */
export interface DashboardMessage {
  state: DashboardState
  points: ChartPoint[]
}

export interface StreamOptions {
  /** Most frequent update (ms); samples arrive up to 40 times a second under pressure. */
  updateMs: number
  /** A comment line after this much silence keeps proxies from closing the stream (ms). */
  heartbeatMs: number
}

/** A client that stops reading is dropped once this much is waiting for it. */
const MAX_BUFFERED_BYTES = 1024 * 1024
/**
 * Chart points kept while updates keep failing to go out; older ones are dropped (the chart just
 * has a gap) rather than growing without end.
 */
const MAX_PENDING_POINTS = 1024

/**
 * Server-Sent Events for the dashboard. One subscription to the controller serves every open
 * page and exists only while at least one is open: the last client to leave detaches the
 * listeners and stops the timer. Samples are kept as chart points from the 'sample' events and
 * go out at most every `updateMs`; a level change goes out at once. An update carries only what
 * happened since the previous one, so it never copies the controller's history.
 */
export class DashboardStream {
  readonly #pressure: ObservedController
  readonly #options: StreamOptions
  readonly #clients = new Set<ServerResponse>()
  #timer: NodeJS.Timeout | undefined
  #dirty = false
  /** Chart points (samples and level changes) seen since the last update went out. */
  #pendingPoints: ChartPoint[] = []
  #lastWriteAt = 0

  constructor(pressure: ObservedController, options: StreamOptions) {
    this.#pressure = pressure
    this.#options = options
  }

  /** Open event streams. */
  get connections(): number {
    return this.#clients.size
  }

  /** Answers `req` with an event stream that starts with the whole state and its history. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      // Proxies such as nginx buffer responses by default, which would hold the events back.
      'X-Accel-Buffering': 'no',
    })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    // Bring the pages already open up to date first, so the new one is not sent the pending points
    // again after its snapshot (which holds them).
    if (this.#pendingPoints.length > 0) this.#pushOrRetry()
    const first: DashboardMessage = { state: readState(this.#pressure), points: this.#pressure.history().map(toPoint) }
    res.write(`retry: 2000\n${frame('snapshot', first)}`)
    if (this.#pressure.closed) {
      res.end()
      return
    }
    this.#clients.add(res)
    // 'close' fires when the client goes away or the response ends, whichever comes first.
    res.once('close', () => this.#drop(res))
    req.socket.setNoDelay?.(true)
    // The snapshot above holds the history so far; the events from now on hold what follows it.
    if (this.#clients.size === 1) this.#attach()
  }

  /** Ends every stream (e.g. before `server.close()`, which waits for open connections). */
  closeAll(): void {
    for (const res of [...this.#clients]) res.end()
    this.#detach()
  }

  #attach(): void {
    this.#pendingPoints = []
    this.#dirty = false
    this.#lastWriteAt = Date.now()
    this.#pressure.on('sample', this.#onSample)
    this.#pressure.on('level', this.#onLevel)
    this.#timer = setInterval(this.#tick, this.#options.updateMs)
    this.#timer.unref()
  }

  #detach(): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#pressure.off('sample', this.#onSample)
    this.#pressure.off('level', this.#onLevel)
    this.#pendingPoints = []
  }

  #drop(res: ServerResponse): void {
    if (!this.#clients.delete(res)) return
    if (this.#clients.size === 0) this.#detach()
  }

  readonly #onSample = (sample: Sample): void => {
    this.#addPoint(toPoint(sample))
    this.#dirty = true
  }

  readonly #onLevel = (change: LevelChange): void => {
    // A forced level has no sample of its own: its change is a point too, so the chart shows the step.
    this.#addPoint(changeToPoint(change))
    // An operator forcing a level wants to see it now, not at the next tick.
    this.#pushOrRetry()
  }

  /** For pushes from inside the controller's calls, from which nothing may escape. */
  #pushOrRetry(): void {
    try {
      this.#push()
    } catch {
      this.#dirty = true
    }
  }

  readonly #tick = (): void => {
    try {
      if (this.#pressure.closed) {
        this.#push()
        this.closeAll()
      } else if (this.#dirty) {
        this.#push()
      } else if (Date.now() - this.#lastWriteAt >= this.#options.heartbeatMs) {
        this.#broadcast(': heartbeat\n\n')
      }
    } catch {
      // A failed read stays dirty and is retried at the next tick; the timer never throws.
      this.#dirty = true
    }
  }

  #addPoint(point: ChartPoint): void {
    this.#pendingPoints.push(point)
    // Trimmed in one go once twice over the bound, so the cost per point stays constant.
    if (this.#pendingPoints.length > 2 * MAX_PENDING_POINTS)
      this.#pendingPoints.splice(0, this.#pendingPoints.length - MAX_PENDING_POINTS)
  }

  #push(): void {
    // Read the state first: if it throws, the points stay pending for the next try.
    const state = readState(this.#pressure)
    const points = this.#pendingPoints
    // A few points at most; sorting keeps the chart in time order whatever order the events came in.
    points.sort((a, b) => a[0] - b[0])
    this.#pendingPoints = []
    this.#dirty = false
    this.#broadcast(frame('update', { state, points }))
  }

  #broadcast(text: string): void {
    this.#lastWriteAt = Date.now()
    for (const res of this.#clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy()
        continue
      }
      res.write(text)
    }
  }
}

/** One SSE event; JSON never contains a raw newline, so one `data:` line is enough. */
function frame(event: string, message: DashboardMessage): string {
  return `event: ${event}\ndata: ${JSON.stringify(message)}\n\n`
}
