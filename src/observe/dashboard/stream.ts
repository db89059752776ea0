import type { LevelChange, Sample } from '../../pressure/types.js'
import type { ObservedController } from '../observed.js'
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

/**
 * One open event stream, whatever carries it: a node:http response, or a Web ReadableStream
 * returned as a Response body. The server side tells the stream when its client leaves (`drop`).
 */
export interface StreamClient {
  /** Bytes written that the client has not taken yet. */
  readonly backlog: number
  write(text: string): void
  /** Ends the stream normally. */
  end(): void
  /** Cuts off a client that stopped reading. */
  abort(): void
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
  readonly #clients = new Set<StreamClient>()
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

  /**
   * Starts `client`'s event stream with the whole state and its history. Returns false when the
   * stream ended at once (the controller is closed); otherwise the client gets every update until
   * `drop(client)` (it left) or `closeAll()`.
   */
  open(client: StreamClient): boolean {
    // Bring the pages already open up to date first, so the new one is not sent the pending points
    // again after its snapshot (which holds them).
    if (this.#pendingPoints.length > 0) this.#pushOrRetry()
    const first: DashboardMessage = { state: readState(this.#pressure), points: this.#pressure.history().map(toPoint) }
    client.write(`retry: 2000\n${frame('snapshot', first)}`)
    if (this.#pressure.closed) {
      client.end()
      return false
    }
    this.#clients.add(client)
    // The snapshot above holds the history so far; the events from now on hold what follows it.
    if (this.#clients.size === 1) this.#attach()
    return true
  }

  /** The client left (or its stream ended): it gets nothing more; the last one out detaches. */
  drop(client: StreamClient): void {
    if (!this.#clients.delete(client)) return
    if (this.#clients.size === 0) this.#detach()
  }

  /** Ends every stream (e.g. before `server.close()`, which waits for open connections). */
  closeAll(): void {
    for (const client of [...this.#clients]) {
      this.#clients.delete(client)
      client.end()
    }
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
    for (const client of [...this.#clients]) {
      if (client.backlog > MAX_BUFFERED_BYTES) {
        this.drop(client)
        client.abort()
        continue
      }
      client.write(text)
    }
  }
}

/** One SSE event; JSON never contains a raw newline, so one `data:` line is enough. */
function frame(event: string, message: DashboardMessage): string {
  return `event: ${event}\ndata: ${JSON.stringify(message)}\n\n`
}
