import type { Session } from 'node:inspector'
import { loadInspector } from '../../util/inspector.js'
import { performance } from 'node:perf_hooks'
import type { GcTimings } from '../readings/gc-timings.js'
import { readsV8Heap } from '../sources/heap.js'
import type { GcInfo, Logger, Source } from '../types.js'
import { checkFunction, checkNumber, checkOptions, describe, MAX_TIMER_MS, messageOf } from '../../util/validate.js'

/** `createController({ liveCheck })`: when heapguard runs a full GC to learn what is live. */
export interface LiveCheckOptions {
  /**
   * Default: the controller's `recoveryMs`. A level above `normal` held by the readings this long
   * with no major GC (or a trend that projects the limit with none for this long) gets a check.
   */
  afterMs?: number
  /**
   * Default 30_000: the least time between two checks. It doubles after each check that left the
   * level where it was (up to 10 minutes) and is back to this at every change of level.
   */
  everyMs?: number
  /** Default 250 (as `leaks.maxPauseMs`): a check whose full GC is expected to pause longer (ms) is skipped, said once. */
  maxPauseMs?: number
  /**
   * Runs a full GC and calls `done` when it is over (at once or later). Default: the inspector's
   * `HeapProfiler.collectGarbage`, in process. For another runtime, or tests.
   */
  collect?: (done: () => void) => void
}

const KEYS: readonly (keyof LiveCheckOptions & string)[] = ['afterMs', 'everyMs', 'maxPauseMs', 'collect']
const W = 'createController'
/**
 * The inspector's full GC is V8's memory-reducing one (`LowMemoryNotification`): it runs
 * mark-compacts until one frees nothing more, two at least, so a check is predicted as two.
 */
const COLLECTIONS_PER_CHECK = 2
const MAX_EVERY_MS = 10 * 60_000
/** A requested GC's own notification that never comes (a runtime without GC entries) stops being waited for after this (controller clock). */
const AWAIT_GC_MS = 1000
/** A `collect` that never calls `done` stops being waited for after this (controller clock). */
const COLLECT_TIMEOUT_MS = 10_000

export interface ResolvedLiveCheck {
  afterMs: number | undefined
  everyMs: number
  maxPauseMs: number
  collect: ((done: () => void) => void) | undefined
}

/** Checks `liveCheck` (an object, or false for never); undefined means the defaults. */
export function resolveLiveCheck(value: unknown): ResolvedLiveCheck | false {
  if (value === false) return false
  if (value !== undefined && (value === null || typeof value !== 'object')) {
    throw new TypeError(`${W}: option \`liveCheck\` must be an object or false, got ${describe(value)}`)
  }
  const o = checkOptions<LiveCheckOptions>(W, 'option `liveCheck`', value, KEYS)
  const time = (key: 'afterMs' | 'everyMs' | 'maxPauseMs', fallback?: number) =>
    o[key] === undefined
      ? fallback
      : checkNumber(W, `option \`liveCheck.${key}\``, o[key], { min: 0, max: MAX_TIMER_MS })
  return {
    afterMs: time('afterMs'),
    everyMs: time('everyMs', 30_000)!,
    maxPauseMs: time('maxPauseMs', 250)!,
    collect: o.collect === undefined ? undefined : checkFunction(W, 'option `liveCheck.collect`', o.collect),
  }
}

interface LiveCheckContext {
  timings: GcTimings
  logger: Logger
  report: (error: unknown) => void
  /** Takes the sample that follows a requested GC. */
  sampled: () => void
}

/**
 * The live check of a controller, or undefined where it cannot work: a full GC tells what is live
 * only of this isolate's heap (the `heap` source must be `heapSource()`), and its sample comes on
 * its own time, so not for a caller that drives `sample()` itself (`autoStart: false`), unless it
 * gave its own `collect`.
 */
export function liveCheckFor(
  options: { liveCheck: ResolvedLiveCheck | false; autoStart: boolean; sources: readonly Source[] },
  context: LiveCheckContext,
): LiveCheck | undefined {
  const { liveCheck, autoStart, sources } = options
  if (liveCheck === false) return undefined
  const heap = sources.find((source) => source.name === 'heap')
  if (liveCheck.collect === undefined && !(autoStart && heap !== undefined && readsV8Heap(heap))) return undefined
  return new LiveCheck(liveCheck, context)
}

/** What the controller tells a live check at the end of each sample. */
export interface LiveCheckState {
  /** The controller's clock. */
  at: number
  /** True when a reading, not a floor or an operator, holds a level above `normal` (or the trend projects the limit). */
  needed: boolean
  /** Since when nothing has shown what is live (controller clock): the later of the last major GC and the last change of level. */
  unknownSince: number
  /** The recovery dwell in force (the default `afterMs`). */
  recoveryMs: number
  /** Bytes of old generation a full GC would have to go through now. */
  heapBytes: number
}

/**
 * The live check: when a level is held by a reading and no major GC has come for a while, what
 * is live is unknown (the heap may hold garbage nobody has collected: an idle or lightly loaded
 * process, or V8's memory reducer not running). Then heapguard runs one full GC itself, in
 * process, and samples right after it, so the level rests on what survived. Rate-limited, backed
 * off while the level stays, skipped when the GC would pause longer than `maxPauseMs`.
 */
export class LiveCheck {
  readonly #options: ResolvedLiveCheck
  readonly #timings: GcTimings
  readonly #logger: Logger
  readonly #report: (error: unknown) => void
  readonly #sampled: () => void
  #session: Session | undefined
  #interval: number
  #nextAt = -Infinity
  /** 'collecting' from the request to `done`; 'awaiting' from `done` to the GC's own notification. */
  #state: 'idle' | 'collecting' | 'awaiting' = 'idle'
  /** When the state was entered (controller clock, as `consider` saw it); NaN until the first `consider` in it. */
  #stateSince = NaN
  #saidSkipped = false
  #disabled = false
  #closed = false

  constructor(options: ResolvedLiveCheck, context: LiveCheckContext) {
    this.#options = options
    this.#timings = context.timings
    this.#logger = context.logger
    this.#report = context.report
    this.#sampled = context.sampled
    this.#interval = options.everyMs
  }

  /** A change of level: the next check may come after `everyMs` again, and a skip is said again. */
  levelChanged(): void {
    this.#interval = this.#options.everyMs
    this.#saidSkipped = false
  }

  /** Runs a check when one is due (see the class); never throws. */
  consider(state: LiveCheckState): void {
    const { at } = state
    if (this.#state !== 'idle') this.#expire(at)
    if (!state.needed || this.#state !== 'idle' || this.#disabled || this.#closed) return
    if (at < this.#nextAt || at - state.unknownSince < (this.#options.afterMs ?? state.recoveryMs)) return
    this.#nextAt = at + this.#interval
    this.#interval = Math.min(this.#interval * 2, Math.max(MAX_EVERY_MS, this.#options.everyMs))
    const predicted = COLLECTIONS_PER_CHECK * this.#timings.predict(state.heapBytes)
    if (predicted > this.#options.maxPauseMs) {
      if (!this.#saidSkipped) {
        this.#saidSkipped = true
        // Not a fault: the level simply follows the GCs V8 runs itself, as without live checks.
        this.#logger.info?.(
          `heapguard: live check skipped: a full GC of ${Math.round(state.heapBytes / 2 ** 20)} MiB is expected to pause ` +
            `${Math.round(predicted)} ms, more than liveCheck.maxPauseMs (${this.#options.maxPauseMs}); the level follows the GCs V8 runs`,
        )
      }
      return
    }
    this.#run(state.heapBytes, at)
  }

  /** Stops waiting for what never came: a `collect` that never called back, a GC notification that never arrived. */
  #expire(at: number): void {
    if (Number.isNaN(this.#stateSince)) this.#stateSince = at
    const limit = this.#state === 'collecting' ? COLLECT_TIMEOUT_MS : AWAIT_GC_MS
    if (at - this.#stateSince >= limit) this.#settle()
  }

  /**
   * A GC notification: true when it belongs to the GC this check requested (GC effort then
   * measures nothing from it). The first major one after `done` ends the check.
   */
  absorb(info: GcInfo): boolean {
    if (this.#state === 'idle') return false
    if (this.#state === 'awaiting' && info.major) this.#settle()
    return true
  }

  close(): void {
    this.#closed = true
    this.#settle()
    try {
      this.#session?.disconnect()
    } catch {
      // already gone
    }
    this.#session = undefined
  }

  #run(heapBytes: number, at: number): void {
    const started = performance.now()
    let finished = false
    const done = (): void => {
      if (finished || this.#closed) return
      finished = true
      this.#timings.record((performance.now() - started) / COLLECTIONS_PER_CHECK, heapBytes)
      this.#enter('awaiting', NaN)
      // Never inside the sample that asked for the check (a `collect` that calls back at once).
      queueMicrotask(() => {
        if (!this.#closed) this.#sampled()
      })
    }
    this.#enter('collecting', at)
    try {
      ;(this.#options.collect ?? this.#inspectorCollect)(done)
    } catch (error) {
      this.#settle()
      this.#disabled = this.#options.collect === undefined
      this.#report(
        new Error(
          `heapguard: live check could not run a full GC (${messageOf(error)})${this.#disabled ? '; live checks are off for this controller' : ''}`,
          { cause: error },
        ),
      )
    }
  }

  /** The inspector is loaded at the first check (see util/inspector.ts); a Node without it turns the checks off. */
  readonly #inspectorCollect = (done: () => void): void => {
    loadInspector()
      .then((inspector) => {
        if (this.#closed) return done()
        if (this.#session === undefined) {
          const session = new inspector.Session()
          session.connect()
          this.#session = session
        }
        this.#session.post('HeapProfiler.collectGarbage', (error) => {
          if (error !== null) this.#report(new Error(`heapguard: live check: ${messageOf(error)}`, { cause: error }))
          done()
        })
      })
      .catch((error: unknown) => {
        this.#settle()
        this.#disabled = true
        this.#report(
          new Error(
            `heapguard: live check could not run a full GC (${messageOf(error)}); live checks are off for this controller`,
            { cause: error },
          ),
        )
      })
  }

  #enter(state: 'collecting' | 'awaiting', at: number): void {
    this.#state = state
    this.#stateSince = at
  }

  #settle(): void {
    this.#state = 'idle'
    this.#stateSince = NaN
  }
}
