import { SafeEmitter } from '../util/safe-emitter.js'
import { SafeClock } from './sampling/clock.js'
import { makeCore, type ControllerCore } from './core.js'
import { LevelBus, type Mode } from './delivery/level-bus.js'
import { checkForce, ForcedLevel, type ForceOptions } from './level/forced-level.js'
import { observeGc } from './sampling/gc-observer.js'
import { GcSampler } from './sampling/gc-sampler.js'
import { GcTimings } from './readings/gc-timings.js'
import { LatestReadings, type LevelInputs } from './readings/latest-readings.js'
import { describeCause } from './level/level-cause.js'
import { LevelMachine } from './level/level-machine.js'
import { levelRank, type Level } from './levels.js'
import { liveCheckFor, type LiveCheck } from './level/live-check.js'
import { resolvePressureOptions, type PressureOptions, type ResolvedPressureOptions } from './options.js'
import { inFastZone, pollDelay, PollTimer } from './sampling/poll-timer.js'
import { SampleHistory } from './history/sample-history.js'
import { FloorSignals } from './floors/floor-signals.js'
import { TransitionLog } from './history/transition-log.js'
import type { Trend } from './history/trend.js'
import type { PressureTuning } from './level/tuning.js'
import type { ControllerEvents, Floor, GcInfo, LevelCause, LevelChange, Sample, Thresholds } from './types.js'

export { SourceError } from './readings/source-reader.js'

const CRITICAL = levelRank('critical')

/** The lowest threshold above `ratio`, or undefined above `emergency`'s. */
function nextThreshold(ratio: number, t: Readonly<Thresholds>): number | undefined {
  if (ratio < t.warning) return t.warning
  if (ratio < t.critical) return t.critical
  if (ratio < t.emergency) return t.emergency
  return undefined
}

const EVENT_NAMES: readonly (keyof ControllerEvents)[] = ['sample', 'level', 'error']

export type { ForceOptions } from './level/forced-level.js'

/**
 * How the composition root (`src/controller.ts`) builds on a pressure controller: `Controller`
 * passes one to `super()` in place of the options, and the pressure controller hands the core it
 * builds to it, before the first sample. No entry exports this class, so no user can make one,
 * and a pressure controller built from options keeps its core to itself.
 */
export class CoreRequest {
  readonly options: PressureOptions
  #core: ControllerCore | undefined

  constructor(options: PressureOptions) {
    this.options = options
  }

  /** The subsystems' view of the controller (caches, shedding, flags, …); there once `super()` has returned. */
  get core(): ControllerCore {
    if (this.#core === undefined) throw new Error('heapguard: the pressure core is read before the controller built it')
    return this.#core
  }

  fill(core: ControllerCore): void {
    this.#core = core
  }
}

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
  readonly #floorSignals: FloorSignals
  readonly #bus: LevelBus
  readonly #readings: LatestReadings
  readonly #core: ControllerCore
  readonly #timings = new GcTimings()
  readonly #live: LiveCheck | undefined

  #ratio = 0
  #level: Level = 'normal'
  /** When the newest ratio was read, and the one before (controller clock, ratio): how fast it moves, for the poll. */
  #stepAt = -Infinity
  #previousAt = -Infinity
  #previousRatio = 0
  /** When the last major GC was sampled, or the effective level last changed, whichever is later (controller clock). */
  #liveKnownAt = -Infinity
  /** When the trend was last looked at for a live check (controller clock). */
  #trendLookedAt = -Infinity
  /** What GC effort was last told (see `#armEffort`). */
  #effortArmed = false
  /** True while a sample is taken and its events delivered: sample() may not re-enter. */
  #sampling = false
  #closed = false

  constructor(options: PressureOptions = {}) {
    // The composition root's request for the core (see CoreRequest); a user passes options.
    const request = options instanceof CoreRequest ? options : undefined
    this.#options = resolvePressureOptions(request?.options ?? options)
    const { tuning, historySize, logger, sources, gcCoalesceMs } = this.#options
    this.#machine = new LevelMachine(tuning)
    this.#history = new SampleHistory(historySize, sources)
    this.#events = new SafeEmitter(logger, 'heapguard', EVENT_NAMES)
    const report = (error: unknown): void => this.#events.report(error)
    this.#clock = new SafeClock(this.#options.now, report)
    this.#bus = new LevelBus(this.#options.mode, {
      listeners: {
        sample: (sample) => this.#events.emit('sample', sample),
        level: (change) => this.#events.emit('level', change),
      },
      logger,
      report,
      closed: () => this.#closed,
    })
    const now = this.#clock.now
    this.#floorSignals = new FloorSignals({ sources, tuning, now, report, logger, timings: this.#timings })
    this.#forced = new ForcedLevel(now, () => this.#safely(() => this.#expire()))
    this.#live = liveCheckFor(this.#options, {
      timings: this.#timings,
      logger,
      report,
      sampled: () => this.#safeSample({ major: true }),
    })
    this.#gc = new GcSampler(gcCoalesceMs, now, (gc) => this.#safeSample(gc), this.#inspectGc)
    this.#readings = new LatestReadings(sources, this.#floorSignals.context)
    this.#core = makeCore(this, this.#bus, this.#readings, {
      logger,
      now,
      report,
      regrade: () => this.#regrade(),
      fullGcs: this.#timings,
    })
    request?.fill(this.#core)
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
    return this.#options.tuning.thresholds
  }

  get hysteresis(): number {
    return this.#options.tuning.hysteresis
  }

  get recoveryMs(): number {
    return this.#options.tuning.recoveryMs
  }

  /** `'enforce'`, or `'observe'`: measure, emit and log what would be done, but apply `normal` everywhere. */
  get mode(): Mode {
    return this.#bus.mode
  }

  /** Switches the mode at run time; switching to `'enforce'` applies the current level at once. */
  set mode(mode: Mode) {
    this.#bus.switchMode(mode, this.#level, this.#clock.now(), this.#ratio)
  }

  /** The level the subsystems apply: `level` in enforce mode, `normal` in observe mode. */
  get appliedLevel(): Level {
    return this.#bus.applied
  }

  /** Changes the level rules and the poll of a live controller, checked as at construction; the next sample uses them. */
  configure(options: PressureTuning): void {
    this.#options.tuning.prepare('configure', options)()
    if (this.#poll.running) this.#poll.schedule(this.#pollDelay())
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
    this.#bus.checkNesting('force')
    const at = this.#clock.now()
    this.#forced.hold(level, at, forMs)
    this.#settle(at, 'forced')
    this.#bus.flush()
  }

  /** Drops the forced level; the measured level applies again (a transition is emitted if it differs). */
  release(): void {
    if (this.#forced.level === null) return
    this.#bus.checkNesting('release')
    this.#forced.clear()
    if (this.#closed) return
    this.#settle(this.#clock.now(), 'released')
    this.#bus.flush()
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
   * The same counts split by cause: `ratio`, `recovery`, `forced`, `released`, `expired`, or the
   * signal of a floor (`gc`, `memory.events`, `psi`). See `LevelChange.cause`.
   */
  transitionCountsByCause(): Record<Level, Record<string, number>> {
    return this.#transitions.countsByCause()
  }

  /**
   * The leak signal: growth of the heap left after major GCs, and the projected time until it
   * reaches the limit. Floors are recorded from GC-triggered samples of the `heap` source (or
   * the first source when none is named `heap`). Read by the controller's clock, with the latest
   * sample's reading of that source capping the growth: see `Trend` for how it ages.
   */
  trend(): Trend {
    return this.#history.trend(this.#clock.now())
  }

  /** The floors that hold now (GC effort, cgroup events, stall information), highest first; see docs/sources.md. */
  floors(): Floor[] {
    return this.#floorSignals.active(this.#clock.now())
  }

  /** Stops the timer and the GC observer, closes the sources, runs subsystem cleanup and detaches all listeners. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#poll.stop()
    this.#forced.clear()
    this.#live?.close()
    this.#gc.close(this.#core.report)
    this.#floorSignals.close()
    this.#bus.close()
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
    const major = gc?.major === true
    this.#sampling = true
    try {
      const floor = this.#floorSignals.floor(at)
      const { readings: sources, inputs } = this.#readings.readAll(major)
      if (major) this.#liveKnownAt = at
      const measured = inputs.ratio !== -Infinity
      const forceExpired = this.#forced.expiredAt(at)
      if (forceExpired) this.#forced.clear()
      // With no source readable the level machine does not step: absence of data is not recovery.
      if (measured) this.#step(inputs, at, floor)
      this.#settle(at, forceExpired ? 'expired' : undefined)
      const sample: Sample = { at, ratio: this.#ratio, level: this.#level, sources }
      this.#bus.sampled(sample)
      this.#history.record(sample, major)
      this.#bus.queueSample(sample)
      if (this.#poll.running) this.#poll.schedule(this.#pollDelay())
      if (measured) this.#considerLiveCheck(inputs, at, floor)
      this.#bus.flush()
      return sample
    } finally {
      this.#sampling = false
    }
  }

  /** The level logic on the latest readings, adjusted (a reservation counts at once): see `Readings.regrade`. */
  #regrade(): void {
    if (this.#closed || this.#bus.nestedTooDeep) return
    const inputs = this.#readings.inputs()
    if (inputs.ratio === -Infinity) return
    const at = this.#clock.now()
    this.#step(inputs, at, this.#floorSignals.floor(at))
    this.#settle(at)
    if (this.#poll.running) this.#poll.schedule(this.#pollDelay())
    this.#bus.flush()
  }

  #step(inputs: LevelInputs, at: number, floor: Floor | undefined): void {
    this.#previousAt = this.#stepAt
    this.#previousRatio = this.#ratio
    this.#stepAt = at
    this.#ratio = inputs.ratio
    this.#machine.step(inputs, at, floor)
  }

  /**
   * The poll period: slow well below `warning`, `fastIntervalMs` near it and above; and near a
   * threshold, the time the ratio is expected to take to reach it at its current pace, if sooner,
   * so that a fast climb is seen as it crosses rather than up to a period later.
   */
  #pollDelay(): number {
    const tuning = this.#options.tuning
    const delay = pollDelay(this.#ratio, tuning)
    const dt = this.#stepAt - this.#previousAt
    const rise = this.#ratio - this.#previousRatio
    // A climb seen inside the fast zone, not a jump into it.
    if (!(dt > 0) || !(rise > 0) || !inFastZone(this.#previousRatio, tuning.thresholds)) return delay
    const line = nextThreshold(this.#ratio, tuning.thresholds)
    if (line === undefined) return delay
    const eta = ((line - this.#ratio) / rise) * dt
    return Math.max(1, Math.min(delay, Math.floor(eta * 0.75)))
  }

  /**
   * Asks for a live check when a reading (not a floor, not an operator) holds a level above
   * `normal`, or, looked at once per slow poll, when the trend projects the limit.
   */
  #considerLiveCheck(inputs: LevelInputs, at: number, floor: Floor | undefined): void {
    const live = this.#live
    if (live === undefined) return
    const level = this.#machine.level
    const tuning = this.#options.tuning
    let needed =
      level !== 'normal' &&
      this.#forced.level === null &&
      levelRank(floor?.level ?? 'normal') < levelRank(level) &&
      this.#machine.holds(level, inputs, 'normal')
    if (!needed && level === 'normal' && at - this.#trendLookedAt >= tuning.intervalMs) {
      this.#trendLookedAt = at
      needed = this.#history.trend(at).msToLimit !== null
    }
    if (!needed) return
    const heapBytes = this.#readings.rawUsed('heap')
    if (heapBytes === undefined) return
    live.consider({ at, needed, unknownSince: this.#liveKnownAt, recoveryMs: tuning.recoveryMs, heapBytes })
  }

  /** GC notifications: those of a GC a live check requested measure no effort; the others feed GC effort. */
  readonly #inspectGc = (info: GcInfo): boolean => {
    this.#floorSignals.countGc(info)
    if (this.#live?.absorb(info) === true) {
      this.#floorSignals.skipGc(info)
      return false
    }
    return this.#floorSignals.onGc(info)
  }

  /** A timed force's deadline passed with no sample to see it: the measured level applies again. */
  #expire(): void {
    if (this.#forced.level === null || this.#closed) return
    this.#forced.clear()
    this.#settle(this.#clock.now(), 'expired')
    this.#bus.flush()
  }

  /**
   * Recomputes the effective level. When it changed, the level bus takes it to the subsystems
   * and listeners (the order: `delivery/level-bus.ts`); the caller flushes its events. `operator`
   * says an operator's hold caused it (force, release, expiry); otherwise the level machine did.
   */
  #settle(at: number, operator?: 'forced' | 'released' | 'expired'): void {
    const from = this.#level
    const to = this.#forced.level ?? this.#machine.level
    if (from === to) return this.#armEffort()
    this.#level = to
    this.#liveKnownAt = Math.max(this.#liveKnownAt, at)
    this.#live?.levelChanged()
    const cause: LevelCause = operator === undefined ? this.#machine.cause : { kind: operator }
    const change: LevelChange = {
      from,
      to,
      at,
      ratio: this.#ratio,
      forced: operator !== undefined,
      reason: describeCause(cause, from, to),
      cause,
    }
    this.#transitions.record(change)
    this.#bus.changed(change)
    this.#armEffort()
  }

  /** Tells GC effort whether the cheap actions are in effect: `critical` or above, and no cache still trimming. */
  #armEffort(): void {
    const active = levelRank(this.#level) >= CRITICAL && !this.#bus.settling()
    if (active === this.#effortArmed) return
    this.#effortArmed = active
    this.#floorSignals.armEffort(active)
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
