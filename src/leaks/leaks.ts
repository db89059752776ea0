import { atOrAbove } from '../pressure/levels.js'
import type { Trend } from '../pressure/history/trend.js'
import type { Sample } from '../pressure/types.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { formatBytes } from '../util/format-bytes.js'
import { messageOf } from '../util/validate.js'
import { LeakCaptureError, type LeakCaptureReason } from './errors.js'
import type { LeakHost } from './host.js'
import { resolveCapture, resolveLeakOptions, type CaptureOptions, type ResolvedLeakOptions } from './options.js'
import type { LeakReport, LeakTrigger } from './report.js'
import { WatchedCollections } from './watch.js'
import { LeakWindow, type WindowPlan } from './window.js'

/** `pressure.leaks`: windows of V8's sampling heap profiler that name what grows. See docs/leaks.md. */
export interface Leaks {
  /**
   * Opens a window now and resolves with its report when it ends (`durationMs`, default 60 s).
   * While a window is open (captured or automatic) it returns that one. Rejects with a
   * `LeakCaptureError` when no window can be opened (no inspector, a sampler someone else started,
   * a closed controller), and with a `TypeError`/`RangeError` for bad options. A captured window
   * keeps the process alive until it ends; `close()` ends it at once with what it read.
   */
  capture(options?: CaptureOptions): Promise<LeakReport>
  /** The newest report, automatic or captured; undefined before the first. */
  readonly last: LeakReport | undefined
  /** True while a window is open. */
  readonly running: boolean
  /**
   * A leak that is still held: set when a report finds growth outside the managed caches, and kept
   * while the post-GC heap stays above where it was when that window began, even once it stops
   * rising (shedding stopped the traffic that leaked). Null otherwise.
   */
  readonly suspect: LeakSuspect | null
  /**
   * Watches a collection you suspect (a `Map`, an array): `size()` is read at each checkpoint of
   * every window and its growth is shown under `name` in the report. Costs nothing while no window
   * is open. Watching a name again replaces its function. Returns the function that stops it.
   */
  watch(name: string, size: () => number): () => void
  /** Counts since the controller started, and why automatic windows stopped, if they did. */
  stats(): LeakStats
}

/** See `Leaks.suspect`. */
export interface LeakSuspect {
  /** When the window that found the growth began (ms, the controller's clock). */
  since: number
  /** The post-GC heap then (the report's first checkpoint). */
  fromBytes: number
  /** The post-GC heap now (`trend().floor`). */
  floorBytes: number
  /** `floorBytes − fromBytes`: what the heap has kept since. */
  heldBytes: number
  /** Whether the post-GC floor still rises (`trend()`). */
  rising: boolean
  /** The newest report that found growth. */
  report: LeakReport
}

export interface LeakStats {
  /** Reports made, by what opened their window. */
  reports: Record<LeakTrigger, number>
  /** Reports that found growth outside the managed caches. */
  found: number
  /** Checkpoints skipped for their predicted pause. */
  skipped: number
  running: boolean
  /** Why automatic windows stopped trying (they report it once), or null while they may open. */
  autoStopped: string | null
  /** Why the last window could not be opened or failed, or null (cleared by the next report). */
  lastError: string | null
}

export type LeakEvents = { leak: [LeakReport]; error: [Error] }

/** How often (controller clock) samples look at the trend; between looks a sample costs one comparison. */
const CHECK_EVERY_MS = 10_000
/** "Keeps rising": the floor has read rising at every look for this long. */
const KEEPS_RISING_MS = 120_000
/** The longest automatic window (a slow leak gets a longer one, so each checkpoint sees samples of it). */
const MAX_AUTO_WINDOW_MS = 15 * 60_000
/** An automatic window lasts long enough for the heap to grow this many sampling intervals between checkpoints. */
const INTERVALS_PER_CHECKPOINT = 8
/** A held leak is over once the post-GC heap is back within this much of where it was. */
const HELD_SLACK_BYTES = 1024 * 1024

/** The least growth over a window that counts as found (see `foundGrowth`). */
const MIN_FOUND_BYTES = 1024 * 1024

/** Reasons that will not go away by trying again: automatic windows stop. */
const PERMANENT: readonly LeakCaptureReason[] = ['inspector', 'sampler-in-use']

/** Builds `pressure.leaks`; `createController` calls it with the controller's host. */
export function createLeaks(host: LeakHost, options: unknown): LeakFinder {
  return new LeakFinder(host, resolveLeakOptions(options))
}

/** The implementation of `Leaks`; the controller routes `on('leak')` to it. */
export class LeakFinder implements Leaks {
  readonly options: Readonly<ResolvedLeakOptions>
  readonly #host: LeakHost
  readonly #events: SafeEmitter<LeakEvents>
  readonly #watched: WatchedCollections
  readonly #unsubscribe: () => void
  #window: LeakWindow | undefined
  #last: LeakReport | undefined
  #suspect:
    | {
        since: number
        fromBytes: number
        peak: number
        report: LeakReport
        /** The post-GC floor when the report came: a floor from before it says nothing about the heap since. */
        staleFloor: number | null
      }
    | undefined
  #closed = false
  #nextLook = -Infinity
  #nextAuto = -Infinity
  #risingSince: number | null = null
  #autoStopped: string | null = null
  #lastError: string | null = null
  readonly #counts = { reports: { capture: 0, rising: 0, warning: 0 }, found: 0, skipped: 0 }

  constructor(host: LeakHost, options: ResolvedLeakOptions) {
    this.#host = host
    this.options = Object.freeze(options)
    this.#events = new SafeEmitter<LeakEvents>(host.logger, 'heapguard', ['leak', 'error'])
    // A 'leak' listener that throws is reported on the controller's 'error', as every listener.
    this.#events.on('error', (error) => host.report(error))
    this.#watched = new WatchedCollections((error) => host.report(error))
    this.#unsubscribe = host.onSample(this.#onSample)
    host.onClose(() => this.#close())
  }

  get last(): LeakReport | undefined {
    return this.#last
  }

  get running(): boolean {
    return this.#window !== undefined && !this.#window.finished
  }

  get suspect(): LeakSuspect | null {
    const held = this.#suspect
    if (held === undefined) return null
    const trend = this.#host.trend()
    const floorBytes = trend.floor ?? held.fromBytes
    return {
      since: held.since,
      fromBytes: held.fromBytes,
      floorBytes,
      heldBytes: Math.max(0, floorBytes - held.fromBytes),
      rising: trend.msToLimit !== null,
      report: held.report,
    }
  }

  capture(options?: CaptureOptions): Promise<LeakReport> {
    let plan: { durationMs: number; checkpoints: number }
    try {
      plan = resolveCapture(options, this.options)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#closed) {
      return Promise.reject(new LeakCaptureError('closed', 'the controller is closed'))
    }
    if (this.running) return this.#window!.done
    return this.#open({ ...plan, trigger: 'capture', keepAlive: true })
  }

  watch(name: string, size: () => number): () => void {
    return this.#watched.add(name, size)
  }

  stats(): LeakStats {
    return {
      reports: { ...this.#counts.reports },
      found: this.#counts.found,
      skipped: this.#counts.skipped,
      running: this.running,
      autoStopped: this.#autoStopped,
      lastError: this.#lastError,
    }
  }

  on(fn: (report: LeakReport) => void): void {
    this.#events.on('leak', fn)
  }

  once(fn: (report: LeakReport) => void): void {
    this.#events.once('leak', fn)
  }

  off(fn?: (report: LeakReport) => void): void {
    this.#events.off('leak', fn)
  }

  #open(plan: Omit<WindowPlan, 'intervalBytes' | 'maxPauseMs'>): Promise<LeakReport> {
    const window = new LeakWindow(
      { ...plan, intervalBytes: this.options.intervalBytes, maxPauseMs: this.options.maxPauseMs },
      { host: this.#host, watched: this.#watched },
    )
    this.#window = window
    return window.done.then(
      (report) => {
        this.#record(report)
        return report
      },
      (error: unknown) => {
        this.#lastError = messageOf(error)
        throw error
      },
    )
  }

  #record(report: LeakReport): void {
    this.#last = report
    this.#lastError = null
    this.#counts.reports[report.trigger]++
    this.#counts.skipped += report.skipped
    if (!foundGrowth(report)) return
    this.#counts.found++
    const staleFloor = this.#host.trend().floor
    if (this.#suspect === undefined) {
      this.#suspect = { since: report.at, fromBytes: report.heapBytes.first, peak: 0, report, staleFloor }
    } else {
      this.#suspect.report = report
      this.#suspect.staleFloor = staleFloor
    }
  }

  /** Per sample: one comparison, and a look at the trend every 10 s (when there is something to look for). */
  readonly #onSample = (sample: Sample): void => {
    if (sample.at < this.#nextLook) return
    this.#nextLook = sample.at + CHECK_EVERY_MS
    const auto = this.options.auto && this.#autoStopped === null
    if (!auto && this.#suspect === undefined) return
    const trend = this.#host.trend()
    this.#follow(trend)
    if (auto) this.#consider(sample.at, trend)
  }

  /** A held leak ends when the post-GC heap has come back to where it was. */
  #follow(trend: Trend): void {
    const held = this.#suspect
    if (held === undefined || trend.floor === null || trend.floor === held.staleFloor) return
    held.staleFloor = null
    const bytes = trend.floor - held.fromBytes
    held.peak = Math.max(held.peak, bytes)
    if (bytes <= Math.max(HELD_SLACK_BYTES, held.peak * 0.1)) this.#suspect = undefined
  }

  /** Opens an automatic window when the floor keeps rising, or at `warning` while it rises. */
  #consider(at: number, trend: Trend): void {
    if (trend.msToLimit === null) {
      this.#risingSince = null
      return
    }
    this.#risingSince ??= at
    if (this.running || at < this.#nextAuto) return
    const warning = atOrAbove(this.#host.level, 'warning')
    if (!warning && at - this.#risingSince < KEEPS_RISING_MS) return
    this.#nextAuto = at + this.options.cooldownMs
    const trigger: LeakTrigger = warning ? 'warning' : 'rising'
    const growth = trend.growthBytesPerSec ?? 0
    const { checkpoints, durationMs, intervalBytes } = this.options
    // Long enough that the heap grows several sampling intervals between two checkpoints.
    const wanted = growth > 0 ? (checkpoints * INTERVALS_PER_CHECKPOINT * intervalBytes * 1000) / growth : durationMs
    const windowMs = Math.round(Math.min(Math.max(durationMs, wanted), Math.max(durationMs, MAX_AUTO_WINDOW_MS)))
    this.#host.logger.info?.(
      `heapguard: leaks: the post-GC heap floor ${trigger === 'warning' ? 'rises at warning' : 'keeps rising'} (${formatBytes(growth)}/s): a ${Math.round(windowMs / 1000)} s window is open to find what grows`,
    )
    this.#open({ durationMs: windowMs, checkpoints, trigger, keepAlive: false }).then(
      (report) => this.#announce(report),
      (error: unknown) => this.#autoFailed(error),
    )
  }

  #announce(report: LeakReport): void {
    if (this.#closed || !foundGrowth(report)) return
    if (this.#events.listenerCount('leak') > 0) this.#events.emit('leak', report)
    else this.#host.logger.warn?.(report.toString())
  }

  #autoFailed(error: unknown): void {
    if (error instanceof LeakCaptureError) {
      if (error.reason === 'closed' || error.reason === 'other-window') return
      if (PERMANENT.includes(error.reason)) {
        this.#autoStopped = error.message
        const then = error.reason === 'sampler-in-use' ? '; capture() works again once that sampler is stopped' : ''
        this.#host.report(new Error(`${error.message}. Automatic leak windows stop trying${then}`, { cause: error }))
        return
      }
    }
    this.#host.report(error)
  }

  #close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unsubscribe()
    this.#window?.close('cut short: the controller was closed during the window')
    this.#events.removeAll()
  }
}

/**
 * Growth outside the managed caches, and enough of it not to be noise (JIT code, a warming
 * module): at least 1 MiB over the window, and 1 % of the heap. What the `'leak'` event and
 * `suspect` are about.
 */
function foundGrowth(report: LeakReport): boolean {
  if (report.checkpoints < 2) return false
  if (report.grows !== 'heap' && report.grows !== 'external' && report.grows !== 'native') return false
  const grown = (report.growth[report.grows] * report.durationMs) / 1000
  return grown >= Math.max(MIN_FOUND_BYTES, report.heapBytes.first * 0.01)
}
