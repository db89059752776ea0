import { FloorTrend, type Trend } from './trend.js'
import { LevelMachine } from './level-machine.js'
import { LEVELS, type Level } from './levels.js'
import { observeGc } from './gc-observer.js'
import { RingBuffer } from './ring-buffer.js'
import { SafeEmitter } from '../util/safe-emitter.js'
import { brandError } from '../util/error-brand.js'
import type { ControllerCore } from './core.js'
import { resolvePressureOptions, type PressureOptions, type ResolvedPressureOptions } from './options.js'
import type { ControllerEvents, GcInfo, LevelChange, Sample, SourceReading, Thresholds } from './types.js'
import { checkFunction, checkNumber, checkOneOf, checkOptions, describe, MAX_TIMER_MS } from '../util/validate.js'

/** How close to `warning` (in ratio) the fast polling starts. */
const FAST_ZONE = 0.1

/**
 * The most events one `sample()`/`force()`/`release()` call delivers. Listeners that keep
 * changing the level from inside a listener would otherwise loop forever.
 */
const MAX_EVENTS_PER_CALL = 1000

/**
 * How deep level changes may nest: a flag listener that calls `force()` changes the level again
 * from inside a change. One that keeps doing so would otherwise overflow the stack.
 */
const MAX_NESTED_CHANGES = 100

const EVENT_NAMES = ['sample', 'level', 'error'] as const

export interface ForceOptions {
  /** Hold the forced level for this long (ms, by the controller's clock), then release it. */
  forMs?: number
}

/**
 * A source that failed to read is reported with this error; `source` names it. `instanceof
 * SourceError` holds whichever copy of heapguard (ESM or CJS) built it.
 */
export class SourceError extends Error {
  static {
    brandError(this, 'SourceError')
  }
  override readonly name = 'SourceError'
  /** Stable code for logs and `catch` filters. */
  readonly code = 'HEAPGUARD_SOURCE'
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** An event waiting for delivery; see `#flush`. */
type Pending = { level: LevelChange; sample?: undefined } | { sample: Sample; level?: undefined }

/**
 * The pressure controller: samples its sources, turns the ratio into a level, and tells
 * everything that depends on it. `createController(options)` builds one with caches, shedding,
 * flags, tasks and limits attached; `new PressureController(options)` gives the levels alone.
 * Either takes its first sample and starts its timer at construction (unless `autoStart: false`).
 */
export class PressureController {
  readonly #options: ResolvedPressureOptions
  readonly #machine: LevelMachine
  readonly #history: RingBuffer<Sample>
  readonly #trend = new FloorTrend()
  /** The source whose post-GC readings feed the trend: `heap`, else the first. */
  readonly #floorSource: string
  readonly #transitions = new RingBuffer<LevelChange>(100)
  readonly #transitionCounts: Record<Level, number> = { normal: 0, warning: 0, critical: 0, emergency: 0 }
  readonly #events: SafeEmitter<ControllerEvents>
  /** Subsystem state that follows the level: run at the moment of each change (see ControllerCore). */
  readonly #stateHooks = new Set<(change: LevelChange) => void>()
  /** Reactions to transitions (level hooks): delivered in order with the 'level' event. */
  readonly #eventHooks = new Set<(change: LevelChange) => void>()
  readonly #closeHooks: (() => void)[] = []
  /** The subsystems' view of this controller. */
  protected readonly core: ControllerCore

  #ratio = 0
  #level: Level = 'normal'
  #forced: Level | null = null
  #forcedUntil: number | null = null
  #forceTimer: NodeJS.Timeout | undefined
  #timer: NodeJS.Timeout | undefined
  #timerDelay = 0
  #stopGc: (() => void) | undefined
  #lastGcSampleAt = -Infinity
  #gcTrailTimer: NodeJS.Timeout | undefined
  #pendingMajorGc = false
  /** The last good reading of the clock, used when the clock fails. */
  #lastNow: number
  /** True while a sample is taken and its events delivered: sample() may not re-enter. */
  #sampling = false
  /** Events not yet delivered, and whether a call up the stack is delivering them. */
  #pending: Pending[] = []
  #flushing = false
  /** How many level changes are running their state hooks now (nested when a hook changes the level). */
  #changing = 0
  /** Counts level changes: a state-hook loop stops once a nested change has updated every hook. */
  #generation = 0
  #closed = false

  constructor(options: PressureOptions = {}) {
    this.#options = resolvePressureOptions(options)
    const { thresholds, hysteresis, recoveryMs, historySize, logger, sources } = this.#options
    this.#machine = new LevelMachine(thresholds, hysteresis, recoveryMs)
    this.#history = new RingBuffer(historySize)
    this.#events = new SafeEmitter(logger, 'heapguard')
    this.#floorSource = sources.some((s) => s.name === 'heap') ? 'heap' : sources[0]!.name
    this.#lastNow = this.#options.now()
    const self = this
    this.core = {
      get level() {
        return self.#level
      },
      get closed() {
        return self.#closed
      },
      logger,
      now: () => this.#now(),
      report: (error) => this.#events.report(error),
      onLevelChange: (fn) => {
        this.#stateHooks.add(fn)
        return () => this.#stateHooks.delete(fn)
      },
      onLevelEvent: (fn) => {
        this.#eventHooks.add(fn)
        return () => this.#eventHooks.delete(fn)
      },
      onClose: (fn) => {
        this.#closeHooks.push(fn)
      },
    }
    if (this.#options.autoStart) this.#start()
  }

  /**
   * Takes the first sample, then starts the timer and the GC observer (unless `autoStart: false`).
   * The first sample is synchronous, so `level`, `ratio` and `lastSample` hold real figures as
   * soon as the controller exists; a listener attached afterwards, or a subsystem built
   * afterwards, reads `level` for the state it missed.
   */
  #start(): void {
    this.#safeSample()
    if (this.#closed) return
    this.#schedule()
    if (this.#options.sampleOnGc) {
      try {
        this.#stopGc = (this.#options.subscribeGc ?? observeGc)(this.#onGc)
      } catch (error) {
        this.#events.report(error)
      }
    }
  }

  /** The effective level: a forced level wins over the measured one. */
  get level(): Level {
    return this.#level
  }

  /** The level the sources alone give. */
  get measuredLevel(): Level {
    return this.#machine.level
  }

  /** The last pressure ratio (0 before the first sample). */
  get ratio(): number {
    return this.#ratio
  }

  /** The forced level, or null when none is held. */
  get forced(): Level | null {
    return this.#forced
  }

  get thresholds(): Readonly<Thresholds> {
    return this.#options.thresholds
  }

  get hysteresis(): number {
    return this.#options.hysteresis
  }

  get recoveryMs(): number {
    return this.#options.recoveryMs
  }

  get closed(): boolean {
    return this.#closed
  }

  /** The newest sample, or undefined before the first. */
  get lastSample(): Sample | undefined {
    return this.#history.last()
  }

  /** Listens to `'sample'`, `'level'` or `'error'`. A listener that throws is reported on `'error'`. */
  on<E extends keyof ControllerEvents>(event: E, fn: (...args: ControllerEvents[E]) => void): this {
    this.#checkListener('on', event, fn)
    this.#events.on(event, fn)
    return this
  }

  /** As `on`, for the next event only. */
  once<E extends keyof ControllerEvents>(event: E, fn: (...args: ControllerEvents[E]) => void): this {
    this.#checkListener('once', event, fn)
    this.#events.once(event, fn)
    return this
  }

  /** Removes one registration of `fn` (the latest), or every listener of `event` when `fn` is omitted. */
  off<E extends keyof ControllerEvents>(event: E, fn?: (...args: ControllerEvents[E]) => void): this {
    checkOneOf('off', 'argument `event`', event, EVENT_NAMES)
    if (fn !== undefined) checkFunction('off', 'argument `fn`', fn)
    this.#events.off(event, fn)
    return this
  }

  #checkListener(where: string, event: unknown, fn: unknown): void {
    checkOneOf(where, 'argument `event`', event, EVENT_NAMES)
    checkFunction(where, 'argument `fn`', fn)
  }

  /**
   * Reads every source now, updates the level and emits events; returns the sample.
   * Throws after `close()`, and when called from inside a sample in progress (a source's
   * `read()` or a listener of that sample's events), which would recurse.
   */
  sample(): Sample {
    if (this.#closed) throw new Error('heapguard: sample() called after close()')
    if (this.#sampling) {
      throw new Error(
        'heapguard: sample() called while a sample is being taken (from a source or a listener of that sample); read pressure.lastSample instead',
      )
    }
    return this.#takeSample(null)
  }

  /**
   * The operator's emergency toggle: hold `level` as the effective level until `release()`,
   * or until `forMs` has elapsed by the controller's clock.
   */
  force(level: Level, options: ForceOptions = {}): void {
    checkOneOf('force', 'argument `level`', level, LEVELS)
    const { forMs } = checkOptions<ForceOptions>('force', 'options', options, ['forMs'])
    if (forMs !== undefined) checkNumber('force', 'option `forMs`', forMs, { above: 0, max: MAX_TIMER_MS })
    if (this.#closed) throw new Error('heapguard: force() called after close()')
    this.#checkNesting('force')
    this.#clearForce()
    const at = this.#now()
    this.#forced = level
    if (forMs !== undefined) {
      this.#forcedUntil = at + forMs
      // Real time backs up the controller's clock: if nothing samples, the timer still releases.
      this.#armForceTimer(forMs)
    }
    this.#settle(true, at)
    this.#flush()
  }

  /** Drops the forced level; the measured level applies again (a transition is emitted if it differs). */
  release(): void {
    if (this.#forced === null) return
    this.#checkNesting('release')
    this.#clearForce()
    if (this.#closed) return
    this.#settle(true, this.#now())
    this.#flush()
  }

  /** Refuses a level change nested too deep in level-change callbacks, before anything changed. */
  #checkNesting(where: string): void {
    if (this.#changing >= MAX_NESTED_CHANGES) {
      throw new Error(
        `heapguard: ${where}() called from level-change callbacks nested ${MAX_NESTED_CHANGES} deep (a flag listener that keeps changing the level?); ignored`,
      )
    }
  }

  #clearForce(): void {
    clearTimeout(this.#forceTimer)
    this.#forceTimer = undefined
    this.#forced = null
    this.#forcedUntil = null
  }

  #armForceTimer(ms: number): void {
    this.#forceTimer = setTimeout(this.#expireForce, Math.min(Math.max(ms, 1), MAX_TIMER_MS))
    this.#forceTimer.unref()
  }

  readonly #expireForce = (): void => {
    this.#forceTimer = undefined
    if (this.#closed || this.#forcedUntil === null) return
    // The controller's clock decides. Timers may fire a little before it reaches the deadline
    // (libuv counts whole milliseconds), and an injected clock need not follow real time at all:
    // check again when the rest should have passed.
    const left = this.#forcedUntil - this.#now()
    if (left > 0) return this.#armForceTimer(left)
    try {
      this.release()
    } catch (error) {
      this.#events.report(error)
    }
  }

  /** The kept samples, oldest first. */
  history(): Sample[] {
    return this.#history.toArray()
  }

  /** The last 100 changes of the effective level, oldest first. */
  transitions(): LevelChange[] {
    return this.#transitions.toArray()
  }

  /** How many times the effective level has changed to each level since the controller started. */
  transitionCounts(): Record<Level, number> {
    return { ...this.#transitionCounts }
  }

  /**
   * The leak signal: growth of the heap left after major GCs, and the projected time until it
   * reaches the limit. Floors are recorded from GC-triggered samples of the `heap` source (or
   * the first source when none is named `heap`). Read by the controller's clock, with the latest
   * sample's reading of that source capping the growth: see `Trend` for how it ages.
   */
  trend(): Trend {
    const sample = this.#history.last()
    const reading = sample?.sources[this.#floorSource]
    const latest = sample !== undefined && reading !== undefined ? { at: sample.at, used: reading.used } : undefined
    return this.#trend.estimate(this.#now(), latest)
  }

  /** Stops the timer and the GC observer, runs subsystem cleanup and detaches all listeners. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#timer)
    clearTimeout(this.#forceTimer)
    clearTimeout(this.#gcTrailTimer)
    this.#timer = this.#forceTimer = this.#gcTrailTimer = undefined
    try {
      this.#stopGc?.()
    } catch (error) {
      this.#events.report(error)
    }
    this.#stopGc = undefined
    for (const hook of this.#closeHooks.splice(0)) {
      try {
        hook()
      } catch (error) {
        this.#events.report(error)
      }
    }
    this.#stateHooks.clear()
    this.#eventHooks.clear()
    this.#events.removeAll()
  }

  /** The controller's clock; a clock that throws or returns garbage is reported and the last good time reused. */
  #now(): number {
    let at: unknown
    try {
      at = this.#options.now()
    } catch (error) {
      this.#events.report(
        new Error(`heapguard: option \`now\` threw: ${(error as Error)?.message ?? error}`, { cause: error }),
      )
      return this.#lastNow
    }
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      this.#events.report(new Error(`heapguard: option \`now\` returned ${describe(at)}; the last good time is used`))
      return this.#lastNow
    }
    return (this.#lastNow = at)
  }

  #takeSample(gc: GcInfo | null): Sample {
    const at = this.#now()
    this.#sampling = true
    try {
      const sources: Record<string, SourceReading> = {}
      let ratio = -Infinity
      for (const source of this.#options.sources) {
        const reading = this.#read(source.name, source)
        if (reading === undefined) continue
        sources[source.name] = reading
        if (reading.ratio > ratio) ratio = reading.ratio
      }
      const measured = ratio !== -Infinity
      if (measured) this.#ratio = ratio
      if (gc?.major) {
        const floor = sources[this.#floorSource]
        if (floor !== undefined) this.#trend.record(at, floor.used, floor.limit)
      }
      const forceExpired = this.#forcedUntil !== null && at >= this.#forcedUntil
      if (forceExpired) this.#clearForce()
      // With no source readable the level machine does not step: absence of data is not recovery.
      if (measured) this.#machine.step(this.#ratio, at)
      this.#settle(forceExpired, at)
      const sample: Sample = { at, ratio: this.#ratio, level: this.#level, sources }
      this.#history.push(sample)
      this.#pending.push({ sample })
      if (this.#timer !== undefined) this.#schedule()
      this.#flush()
      return sample
    } finally {
      this.#sampling = false
    }
  }

  #read(name: string, source: { read(): unknown }): SourceReading | undefined {
    let value: unknown
    try {
      value = source.read()
    } catch (error) {
      this.#events.report(
        new SourceError(name, `heapguard: source "${name}" threw: ${(error as Error)?.message ?? error}`, {
          cause: error,
        }),
      )
      return undefined
    }
    const { used, limit } = (value ?? {}) as { used?: unknown; limit?: unknown }
    // A huge used over a tiny limit overflows to an infinite ratio: no more a reading than NaN is.
    if (
      typeof used !== 'number' ||
      !Number.isFinite(used) ||
      used < 0 ||
      typeof limit !== 'number' ||
      !Number.isFinite(limit) ||
      limit <= 0 ||
      !Number.isFinite(used / limit)
    ) {
      const promise = typeof (value as { then?: unknown } | null)?.then === 'function'
      // An `async read()` that rejects must not end as an unhandled rejection: it is reported here already.
      if (promise) Promise.resolve(value).catch(() => {})
      const got = promise
        ? 'a promise (read() must be synchronous)'
        : value !== null && typeof value === 'object'
          ? `used ${describe(used)}, limit ${describe(limit)}`
          : describe(value)
      this.#events.report(
        new SourceError(
          name,
          `heapguard: source "${name}" returned an invalid reading (used must be a finite number >= 0, limit a finite number > 0): ${got}`,
        ),
      )
      return undefined
    }
    return { used, limit, ratio: used / limit }
  }

  /**
   * Recomputes the effective level. When it changed: subsystem state follows at once (caches,
   * admission, flags, tasks), so code right after `force()` sees the new level everywhere, even
   * from inside a listener; the event is queued for in-order delivery (`#flush`).
   */
  #settle(forced: boolean, at: number): void {
    const from = this.#level
    const to = this.#forced ?? this.#machine.level
    if (from === to) return
    this.#level = to
    const change: LevelChange = { from, to, at, ratio: this.#ratio, forced }
    this.#transitions.push(change)
    this.#transitionCounts[to]++
    // Queued before the hooks run: a change they cause is delivered after this one.
    this.#pending.push({ level: change })
    const generation = ++this.#generation
    this.#changing++
    try {
      for (const hook of this.#stateHooks) {
        try {
          hook(change)
        } catch (error) {
          this.#events.report(error)
        }
        // A hook changed the level again: that nested change has already brought every hook up to date.
        if (generation !== this.#generation) break
      }
    } finally {
      this.#changing--
    }
  }

  /**
   * Delivers queued events in order, synchronously. A level change made by a listener (say,
   * `force()` inside a `'level'` listener) takes effect at once but is delivered after the current
   * event has reached everyone, so every hook and listener sees the changes in the order they
   * happened, each `from` equal to the previous `to`.
   */
  #flush(): void {
    // Nested inside a level change (a hook called force()): the outer call flushes once its change is complete.
    if (this.#flushing || this.#changing > 0) return
    this.#flushing = true
    try {
      for (let i = 0; i < this.#pending.length && !this.#closed; i++) {
        if (i === MAX_EVENTS_PER_CALL) {
          this.#events.report(
            new Error(
              `heapguard: listeners caused more than ${MAX_EVENTS_PER_CALL} events in one call (a listener that keeps changing the level?); the rest were dropped`,
            ),
          )
          break
        }
        const event = this.#pending[i]!
        if (event.level !== undefined) this.#deliverLevel(event.level)
        else this.#events.emit('sample', event.sample)
      }
    } finally {
      // A fresh array is cheaper than truncating this one (setting .length is slow in V8).
      if (this.#pending.length > 0) this.#pending = []
      this.#flushing = false
    }
  }

  /** Level hooks first (subsystem state has followed already, in #settle), then the log line, then user listeners. */
  #deliverLevel(change: LevelChange): void {
    for (const hook of this.#eventHooks) {
      try {
        hook(change)
      } catch (error) {
        this.#events.report(error)
      }
    }
    const log = this.#options.logger.info
    if (log) {
      try {
        const { from, to, ratio, forced } = change
        log.call(
          this.#options.logger,
          `heapguard: memory pressure ${from} -> ${to} (ratio ${ratio.toFixed(3)}${forced ? ', forced' : ''})`,
        )
      } catch {
        // a broken logger must not stop the level change
      }
    }
    this.#events.emit('level', change)
  }

  /** Arms the poll timer for the zone the ratio is in: fast near or above warning. */
  #schedule(): void {
    const { intervalMs, fastIntervalMs, thresholds } = this.#options
    const delay = this.#ratio >= thresholds.warning - FAST_ZONE ? fastIntervalMs : intervalMs
    if (this.#timer !== undefined && delay === this.#timerDelay) return
    clearTimeout(this.#timer)
    this.#timerDelay = delay
    this.#timer = setTimeout(this.#onTimer, delay)
    this.#timer.unref()
  }

  readonly #onTimer = (): void => {
    if (this.#closed || this.#timer === undefined) return
    const fired = this.#timer
    this.#safeSample()
    // A zone change inside the sample armed a new timer; otherwise restart this one.
    if (!this.#closed && this.#timer === fired) fired.refresh()
  }

  readonly #onGc = (info: GcInfo): void => {
    if (this.#closed) return
    this.#pendingMajorGc ||= info?.major === true
    const wait = this.#lastGcSampleAt + this.#options.gcCoalesceMs - this.#now()
    if (wait <= 0) {
      this.#gcSample()
    } else if (this.#gcTrailTimer === undefined) {
      // The end of a burst is sampled too, so the state after the last GC is never missed.
      this.#gcTrailTimer = setTimeout(() => {
        this.#gcTrailTimer = undefined
        if (!this.#closed) this.#gcSample()
      }, wait)
      this.#gcTrailTimer.unref()
    }
  }

  #gcSample(): void {
    this.#lastGcSampleAt = this.#now()
    const major = this.#pendingMajorGc
    this.#pendingMajorGc = false
    this.#safeSample({ major })
  }

  /** Sampling from a timer or observer: nothing may escape into the event loop. */
  #safeSample(gc: GcInfo | null = null): void {
    try {
      this.#takeSample(gc)
    } catch (error) {
      this.#events.report(error)
    }
  }
}
