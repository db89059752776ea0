import { SafeEmitter } from '../util/safe-emitter.js'
import { SafeClock } from './clock.js'
import { makeCore, type ControllerCore } from './core.js'
import { checkForce, ForcedLevel, type ForceOptions } from './forced-level.js'
import { observeGc } from './gc-observer.js'
import { GcSampler } from './gc-sampler.js'
import { LatestReadings } from './latest-readings.js'
import { LevelMachine } from './level-machine.js'
import type { Level } from './levels.js'
import { resolvePressureOptions, type PressureOptions, type ResolvedPressureOptions } from './options.js'
import { PollTimer } from './poll-timer.js'
import { SampleHistory } from './sample-history.js'
import { SubsystemHooks } from './subsystem-hooks.js'
import { logChange, TransitionLog } from './transition-log.js'
import type { Trend } from './trend.js'
import type { ControllerEvents, GcInfo, LevelChange, Sample, Thresholds } from './types.js'

export { SourceError } from './source-reader.js'

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

const EVENT_NAMES: readonly (keyof ControllerEvents)[] = ['sample', 'level', 'error']

export type { ForceOptions } from './forced-level.js'

/** An event waiting for delivery; see `#flush`. */
type Pending = { level: LevelChange; sample?: undefined } | { sample: Sample; level?: undefined }

/** The subsystems' view of a controller (caches, shedding, flags, …); module-private, never on a public type. */
export let controllerCore: (controller: PressureController) => ControllerCore

/**
 * The pressure controller: samples its sources, turns the ratio into a level, and tells
 * everything that depends on it. `createController(options)` builds one with caches, shedding,
 * flags, tasks and limits attached; `new PressureController(options)` gives the levels alone.
 * Either takes its first sample and starts its timer at construction (unless `autoStart: false`).
 */
export class PressureController {
  readonly #options: ResolvedPressureOptions
  readonly #machine: LevelMachine
  readonly #history: SampleHistory
  readonly #transitions = new TransitionLog()
  readonly #events: SafeEmitter<ControllerEvents>
  readonly #clock: SafeClock
  readonly #forced: ForcedLevel
  readonly #poll = new PollTimer(() => this.#safeSample())
  readonly #gc: GcSampler
  readonly #hooks: SubsystemHooks
  readonly #readings: LatestReadings
  readonly #core: ControllerCore

  #ratio = 0
  #level: Level = 'normal'
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

  static {
    controllerCore = (controller) => controller.#core
  }

  constructor(options: PressureOptions = {}) {
    this.#options = resolvePressureOptions(options)
    const { thresholds, hysteresis, recoveryMs, historySize, logger, sources, gcCoalesceMs } = this.#options
    this.#machine = new LevelMachine(thresholds, hysteresis, recoveryMs)
    this.#history = new SampleHistory(historySize, sources)
    this.#events = new SafeEmitter(logger, 'heapguard', EVENT_NAMES)
    const report = (error: unknown): void => this.#events.report(error)
    this.#clock = new SafeClock(this.#options.now, report)
    this.#hooks = new SubsystemHooks(report)
    const now = this.#clock.now
    this.#forced = new ForcedLevel(now, () => this.#safely(() => this.release()))
    this.#gc = new GcSampler(gcCoalesceMs, now, (gc) => this.#safeSample(gc))
    this.#readings = new LatestReadings(sources, report)
    this.#core = makeCore(this, this.#hooks, this.#readings, { logger, now, report, regrade: () => this.#regrade() })
    if (this.#options.autoStart) this.#start()
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
    return this.#forced.level
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
    this.#events.on(event, fn)
    return this
  }

  /** As `on`, for the next event only. */
  once<E extends keyof ControllerEvents>(event: E, fn: (...args: ControllerEvents[E]) => void): this {
    this.#events.once(event, fn)
    return this
  }

  /** Removes one registration of `fn` (the latest), or every listener of `event` when `fn` is omitted. */
  off<E extends keyof ControllerEvents>(event: E, fn?: (...args: ControllerEvents[E]) => void): this {
    this.#events.off(event, fn)
    return this
  }

  /**
   * Reports a failure the way heapguard reports its own: on `'error'`, or to the logger when
   * nobody listens. Never throws. For code that runs where nothing may throw (adapters, your
   * own timers and listeners).
   */
  report(error: unknown): void {
    this.#events.report(error)
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
    const forMs = checkForce(level, options)
    if (this.#closed) throw new Error('heapguard: force() called after close()')
    this.#checkNesting('force')
    const at = this.#clock.now()
    this.#forced.hold(level, at, forMs)
    this.#settle(true, at)
    this.#flush()
  }

  /** Drops the forced level; the measured level applies again (a transition is emitted if it differs). */
  release(): void {
    if (this.#forced.level === null) return
    this.#checkNesting('release')
    this.#forced.clear()
    if (this.#closed) return
    this.#settle(true, this.#clock.now())
    this.#flush()
  }

  /** The kept samples, oldest first. */
  history(): Sample[] {
    return this.#history.toArray()
  }

  /** The last 100 changes of the effective level, oldest first. */
  transitions(): LevelChange[] {
    return this.#transitions.recent()
  }

  /** How many times the effective level has changed to each level since the controller started. */
  transitionCounts(): Record<Level, number> {
    return this.#transitions.counts()
  }

  /**
   * The leak signal: growth of the heap left after major GCs, and the projected time until it
   * reaches the limit. Floors are recorded from GC-triggered samples of the `heap` source (or
   * the first source when none is named `heap`).
   */
  trend(): Trend {
    return this.#history.trend()
  }

  /** Stops the timer and the GC observer, runs subsystem cleanup and detaches all listeners. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#poll.stop()
    this.#forced.clear()
    this.#gc.close(this.#core.report)
    this.#hooks.close()
    this.#events.removeAll()
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
    this.#poll.schedule(this.#pollDelay())
    if (this.#options.sampleOnGc) this.#safely(() => this.#gc.start(this.#options.subscribeGc ?? observeGc))
  }

  #takeSample(gc: GcInfo | null): Sample {
    const at = this.#clock.now()
    this.#sampling = true
    try {
      const { readings: sources, ratio } = this.#readings.readAll(gc?.major === true)
      const measured = ratio !== -Infinity
      if (measured) this.#ratio = ratio
      const forceExpired = this.#forced.expiredAt(at)
      if (forceExpired) this.#forced.clear()
      // With no source readable the level machine does not step: absence of data is not recovery.
      if (measured) this.#machine.step(this.#ratio, at)
      this.#settle(forceExpired, at)
      const sample: Sample = { at, ratio: this.#ratio, level: this.#level, sources }
      this.#history.record(sample, gc?.major === true)
      this.#pending.push({ sample })
      if (this.#poll.running) this.#poll.schedule(this.#pollDelay())
      this.#flush()
      return sample
    } finally {
      this.#sampling = false
    }
  }

  /** The level logic on the latest readings, adjusted (a reservation counts at once): see `Readings.regrade`. */
  #regrade(): void {
    if (this.#closed || this.#changing >= MAX_NESTED_CHANGES) return
    const ratio = this.#readings.ratio()
    if (ratio === -Infinity) return
    const at = this.#clock.now()
    this.#ratio = ratio
    this.#machine.step(ratio, at)
    this.#settle(false, at)
    if (this.#poll.running) this.#poll.schedule(this.#pollDelay())
    this.#flush()
  }

  /** Fast near or above warning, slow well below it. */
  #pollDelay(): number {
    const { intervalMs, fastIntervalMs, thresholds } = this.#options
    return this.#ratio >= thresholds.warning - FAST_ZONE ? fastIntervalMs : intervalMs
  }

  /** Refuses a level change nested too deep in level-change callbacks, before anything changed. */
  #checkNesting(where: string): void {
    if (this.#changing >= MAX_NESTED_CHANGES) {
      throw new Error(
        `heapguard: ${where}() called from level-change callbacks nested ${MAX_NESTED_CHANGES} deep (a flag listener that keeps changing the level?); ignored`,
      )
    }
  }

  /**
   * Recomputes the effective level. When it changed: subsystem state follows at once (caches,
   * admission, flags, tasks), so code right after `force()` sees the new level everywhere, even
   * from inside a listener; the event is queued for in-order delivery (`#flush`).
   */
  #settle(forced: boolean, at: number): void {
    const from = this.#level
    const to = this.#forced.level ?? this.#machine.level
    if (from === to) return
    this.#level = to
    const change: LevelChange = { from, to, at, ratio: this.#ratio, forced }
    this.#transitions.record(change)
    // Queued before the hooks run: a change they cause is delivered after this one.
    this.#pending.push({ level: change })
    const generation = ++this.#generation
    this.#changing++
    try {
      // A hook that changes the level again has had that nested change bring every hook up to date.
      this.#hooks.changeState(change, () => generation !== this.#generation)
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
    this.#hooks.deliver(change)
    logChange(this.#options.logger, change)
    this.#events.emit('level', change)
  }

  /** Sampling from a timer or observer: nothing may escape into the event loop. */
  #safeSample(gc: GcInfo | null = null): void {
    this.#safely(() => this.#takeSample(gc))
  }

  /** Runs `fn` from a timer or observer: after `close()` not at all, and whatever it throws is reported. */
  #safely(fn: () => unknown): void {
    if (this.#closed) return
    try {
      fn()
    } catch (error) {
      this.#events.report(error)
    }
  }
}
