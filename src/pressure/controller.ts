import { FloorTrend, type Trend } from './trend.js'
import { LevelMachine } from './level-machine.js'
import { LEVELS, type Level } from './levels.js'
import { observeGc } from './gc-observer.js'
import { RingBuffer } from './ring-buffer.js'
import { SafeEmitter } from './safe-emitter.js'
import type { ControllerCore } from './core.js'
import { resolvePressureOptions, type PressureOptions, type ResolvedPressureOptions } from './options.js'
import type { ControllerEvents, GcInfo, LevelChange, Sample, SourceReading, Thresholds } from './types.js'
import { checkNumber, checkOneOf, checkOptions, describe } from '../validate.js'

/** How close to `warning` (in ratio) the fast polling starts. */
const FAST_ZONE = 0.1

export interface ForceOptions {
  /** Hold the forced level for this long (ms, by the controller's clock), then release it. */
  forMs?: number
}

/** A source that failed to read is reported with this error; `source` names it. */
export class SourceError extends Error {
  override readonly name = 'SourceError'
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * The pressure controller: samples its sources, turns the ratio into a level, and tells
 * everything that depends on it. Build it with `createController(options)`.
 */
export class PressureController {
  readonly #options: ResolvedPressureOptions
  readonly #machine: LevelMachine
  readonly #history: RingBuffer<Sample>
  readonly #trend = new FloorTrend()
  readonly #transitions = new RingBuffer<LevelChange>(100)
  readonly #transitionCounts: Record<Level, number> = { normal: 0, warning: 0, critical: 0, emergency: 0 }
  readonly #events: SafeEmitter<ControllerEvents>
  readonly #levelHooks = new Set<(change: LevelChange) => void>()
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
  #closed = false

  constructor(options: PressureOptions = {}) {
    this.#options = resolvePressureOptions(options)
    const { thresholds, hysteresis, recoveryMs, historySize, logger } = this.#options
    this.#machine = new LevelMachine(thresholds, hysteresis, recoveryMs)
    this.#history = new RingBuffer(historySize)
    this.#events = new SafeEmitter(logger, 'heapguard')
    const self = this
    this.core = {
      get level() {
        return self.#level
      },
      get closed() {
        return self.#closed
      },
      logger,
      now: () => this.#options.now(),
      report: (error) => this.#events.report(error),
      onLevelChange: (fn) => {
        this.#levelHooks.add(fn)
        return () => this.#levelHooks.delete(fn)
      },
      onClose: (fn) => {
        this.#closeHooks.push(fn)
      },
    }
  }

  /** Starts the timer and the GC observer (called by `createController` unless `autoStart: false`). */
  protected start(): void {
    if (!this.#options.autoStart) return
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

  on<E extends keyof ControllerEvents>(event: E, fn: (...args: ControllerEvents[E]) => void): this {
    this.#events.on(event, fn)
    return this
  }

  once<E extends keyof ControllerEvents>(event: E, fn: (...args: ControllerEvents[E]) => void): this {
    this.#events.once(event, fn)
    return this
  }

  off<E extends keyof ControllerEvents>(event: E, fn?: (...args: ControllerEvents[E]) => void): this {
    this.#events.off(event, fn)
    return this
  }

  /** Reads every source now, updates the level and emits events; returns the sample. */
  sample(): Sample {
    if (this.#closed) throw new Error('heapguard: sample() called after close()')
    return this.#takeSample(null)
  }

  /**
   * The operator's emergency toggle: hold `level` as the effective level until `release()`,
   * or until `forMs` has elapsed by the controller's clock.
   */
  force(level: Level, options: ForceOptions = {}): void {
    checkOneOf('force', 'argument `level`', level, LEVELS)
    const { forMs } = checkOptions<ForceOptions>('force', 'options', options, ['forMs'])
    if (forMs !== undefined) checkNumber('force', 'option `forMs`', forMs, { above: 0, max: 2 ** 31 - 1 })
    if (this.#closed) throw new Error('heapguard: force() called after close()')
    this.#clearForce()
    this.#forced = level
    this.#forcedUntil = forMs === undefined ? null : this.#options.now() + forMs
    if (forMs !== undefined) {
      // Real time backs up the controller's clock: if nothing samples, the timer still releases.
      this.#forceTimer = setTimeout(() => this.#expireForce(), forMs)
      this.#forceTimer.unref()
    }
    this.#settle(true, this.#options.now())
  }

  /** Drops the forced level; the measured level applies again (a transition is emitted if it differs). */
  release(): void {
    if (this.#forced === null) return
    this.#clearForce()
    if (!this.#closed) this.#settle(true, this.#options.now())
  }

  #clearForce(): void {
    clearTimeout(this.#forceTimer)
    this.#forceTimer = undefined
    this.#forced = null
    this.#forcedUntil = null
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
   * the first source when none is named `heap`).
   */
  trend(): Trend {
    return this.#trend.estimate()
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
    this.#levelHooks.clear()
    this.#events.removeAll()
  }

  #takeSample(gc: GcInfo | null): Sample {
    const at = this.#options.now()
    const sources: Record<string, SourceReading> = {}
    let ratio = -Infinity
    for (const source of this.#options.sources) {
      const reading = this.#read(source.name, source.read.bind(source))
      if (reading === undefined) continue
      sources[source.name] = reading
      if (reading.ratio > ratio) ratio = reading.ratio
    }
    const measured = ratio !== -Infinity
    if (measured) this.#ratio = ratio
    if (gc?.major) this.#recordFloor(at, sources)
    const forceExpired = this.#forcedUntil !== null && at >= this.#forcedUntil
    if (forceExpired) this.#clearForce()
    // With no source readable the level machine does not step: absence of data is not recovery.
    if (measured) this.#machine.step(this.#ratio, at)
    this.#settle(forceExpired, at)
    const sample: Sample = { at, ratio: this.#ratio, level: this.#level, sources }
    this.#history.push(sample)
    this.#events.emit('sample', sample)
    if (this.#timer !== undefined) this.#schedule()
    return sample
  }

  #read(name: string, read: () => unknown): SourceReading | undefined {
    let value: unknown
    try {
      value = read()
    } catch (error) {
      this.#events.report(new SourceError(name, `heapguard: source "${name}" threw: ${(error as Error)?.message ?? error}`, { cause: error }))
      return undefined
    }
    const { used, limit } = (value ?? {}) as { used?: unknown; limit?: unknown }
    if (typeof used !== 'number' || !Number.isFinite(used) || used < 0 || typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) {
      const got = value !== null && typeof value === 'object' ? `used ${describe(used)}, limit ${describe(limit)}` : describe(value)
      this.#events.report(
        new SourceError(name, `heapguard: source "${name}" returned an invalid reading (used must be a finite number >= 0, limit a finite number > 0): ${got}`),
      )
      return undefined
    }
    return { used, limit, ratio: used / limit }
  }

  #recordFloor(at: number, sources: Record<string, SourceReading>): void {
    const name = this.#options.sources.some((s) => s.name === 'heap') ? 'heap' : this.#options.sources[0]!.name
    const reading = sources[name]
    if (reading !== undefined) this.#trend.record(at, reading.used, reading.limit)
  }

  /** Recomputes the effective level and, when it changed, tells the subsystems then the listeners. */
  #settle(forced: boolean, at: number): void {
    const from = this.#level
    const to = this.#forced ?? this.#machine.level
    if (from === to) return
    this.#level = to
    const change: LevelChange = { from, to, at, ratio: this.#ratio, forced }
    this.#transitions.push(change)
    this.#transitionCounts[to]++
    for (const hook of this.#levelHooks) {
      try {
        hook(change)
      } catch (error) {
        this.#events.report(error)
      }
    }
    const log = this.#options.logger.info
    if (log) {
      try {
        log.call(this.#options.logger, `heapguard: memory pressure ${from} -> ${to} (ratio ${this.#ratio.toFixed(3)}${forced ? ', forced' : ''})`)
      } catch {
        // a broken logger must not stop the level change
      }
    }
    this.#events.emit('level', change)
  }

  #expireForce(): void {
    this.#forceTimer = undefined
    if (this.#closed || this.#forcedUntil === null) return
    if (this.#options.now() >= this.#forcedUntil) this.release()
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
    this.#safeSample()
    // #takeSample re-arms only when the zone changed; otherwise restart the same timer.
    if (!this.#closed) this.#timer.refresh()
  }

  readonly #onGc = (info: GcInfo): void => {
    if (this.#closed) return
    this.#pendingMajorGc ||= info.major
    const wait = this.#lastGcSampleAt + this.#options.gcCoalesceMs - this.#options.now()
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
    this.#lastGcSampleAt = this.#options.now()
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
