import { SafeEmitter } from '../util/safe-emitter.js'
import { SafeClock } from './sampling/clock.js'
import { makeCore, type ControllerCore } from './core.js'
import { EventQueue, type PendingEvent } from './delivery/event-queue.js'
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
import { Rollout, type Mode } from './delivery/rollout.js'
import { SampleHistory } from './history/sample-history.js'
import { Signals } from './floors/floor-signals.js'
import { checkNesting, MAX_NESTED_CHANGES, SubsystemHooks } from './delivery/subsystem-hooks.js'
import { logChange, TransitionLog } from './history/transition-log.js'
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
  readonly #signals: Signals
  readonly #hooks: SubsystemHooks
  readonly #rollout: Rollout
  readonly #queue: EventQueue
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
  /** How many level changes are running their state hooks now (nested when a hook changes the level). */
  #changing = 0
  /** Counts level changes: a state-hook loop stops once a nested change has updated every hook. */
  #generation = 0
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
    this.#hooks = new SubsystemHooks(report)
    this.#rollout = new Rollout(this.#options.mode, this.#hooks, logger)
    this.#queue = new EventQueue((event) => this.#deliver(event), report)
    const now = this.#clock.now
    this.#signals = new Signals({ sources, tuning, now, report, logger, timings: this.#timings })
    this.#forced = new ForcedLevel(now, () => this.#safely(() => this.#expire()))
    this.#live = liveCheckFor(this.#options, {
      timings: this.#timings,
      logger,
      report,
      sampled: () => this.#safeSample({ major: true }),
    })
    this.#gc = new GcSampler(gcCoalesceMs, now, (gc) => this.#safeSample(gc), this.#inspectGc)
    this.#readings = new LatestReadings(sources, this.#signals.context)
    this.#core = makeCore(this, this.#rollout, this.#hooks, this.#readings, {
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
    return this.#rollout.mode
  }

  /** Switches the mode at run time; switching to `'enforce'` applies the current level at once. */
  set mode(mode: Mode) {
    checkNesting('mode', this.#changing)
    const change = this.#rollout.switchTo(mode, this.#level, this.#clock.now(), this.#ratio)
    if (change === null || this.#closed) return
    this.#queue.push({ level: change, hooks: true, listeners: false })
    this.#changeState(change)
    this.#flush()
  }

  /** The level the subsystems apply: `level` in enforce mode, `normal` in observe mode. */
  get appliedLevel(): Level {
    return this.#rollout.applied
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
    checkNesting('force', this.#changing)
    const at = this.#clock.now()
    this.#forced.hold(level, at, forMs)
    this.#settle(at, 'forced')
    this.#flush()
  }

  /** Drops the forced level; the measured level applies again (a transition is emitted if it differs). */
  release(): void {
    if (this.#forced.level === null) return
    checkNesting('release', this.#changing)
    this.#forced.clear()
    if (this.#closed) return
    this.#settle(this.#clock.now(), 'released')
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
    return this.#signals.active(this.#clock.now())
  }

  /** Stops the timer and the GC observer, closes the sources, runs subsystem cleanup and detaches all listeners. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#poll.stop()
    this.#forced.clear()
    this.#live?.close()
    this.#gc.close(this.#core.report)
    this.#signals.close()
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
    const major = gc?.major === true
    this.#sampling = true
    try {
      const floor = this.#signals.floor(at)
      const { readings: sources, inputs } = this.#readings.readAll(major)
      if (major) this.#liveKnownAt = at
      const measured = inputs.ratio !== -Infinity
      const forceExpired = this.#forced.expiredAt(at)
      if (forceExpired) this.#forced.clear()
      // With no source readable the level machine does not step: absence of data is not recovery.
      if (measured) this.#step(inputs, at, floor)
      this.#settle(at, forceExpired ? 'expired' : undefined)
      const sample: Sample = { at, ratio: this.#ratio, level: this.#level, sources }
      this.#hooks.sampled(sample)
      this.#history.record(sample, major)
      this.#queue.push({ sample })
      if (this.#poll.running) this.#poll.schedule(this.#pollDelay())
      if (measured) this.#considerLiveCheck(inputs, at, floor)
      this.#flush()
      return sample
    } finally {
      this.#sampling = false
    }
  }

  /** The level logic on the latest readings, adjusted (a reservation counts at once): see `Readings.regrade`. */
  #regrade(): void {
    if (this.#closed || this.#changing >= MAX_NESTED_CHANGES) return
    const inputs = this.#readings.inputs()
    if (inputs.ratio === -Infinity) return
    const at = this.#clock.now()
    this.#step(inputs, at, this.#signals.floor(at))
    this.#settle(at)
    if (this.#poll.running) this.#poll.schedule(this.#pollDelay())
    this.#flush()
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
    this.#signals.countGc(info)
    if (this.#live?.absorb(info) === true) {
      this.#signals.skipGc(info)
      return false
    }
    return this.#signals.onGc(info)
  }

  /** A timed force's deadline passed with no sample to see it: the measured level applies again. */
  #expire(): void {
    if (this.#forced.level === null || this.#closed) return
    this.#forced.clear()
    this.#settle(this.#clock.now(), 'expired')
    this.#flush()
  }

  /**
   * Recomputes the effective level. When it changed: subsystem state follows at once (caches,
   * admission, flags, tasks), so code right after `force()` sees the new level everywhere, even
   * from inside a listener; the event is queued for in-order delivery (`#flush`). `operator`
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
    const applied = this.#rollout.follow(change)
    // Queued before the hooks run: a change they cause is delivered after this one.
    this.#queue.push({ level: change, hooks: applied !== null, listeners: true })
    if (applied !== null) this.#changeState(applied)
    this.#armEffort()
  }

  /** Tells GC effort whether the cheap actions are in effect: `critical` or above, and no cache still trimming. */
  #armEffort(): void {
    const active = levelRank(this.#level) >= CRITICAL && !this.#hooks.settling()
    if (active === this.#effortArmed) return
    this.#effortArmed = active
    this.#signals.armEffort(active)
  }

  /** Brings subsystem state to a change of the applied level. */
  #changeState(change: LevelChange): void {
    const generation = ++this.#generation
    this.#changing++
    try {
      // A hook that changes the level again has had that nested change bring every hook up to date.
      this.#hooks.changeState(change, () => generation !== this.#generation)
    } finally {
      this.#changing--
    }
  }

  /** Delivers queued events in order (see EventQueue). */
  #flush(): void {
    // Nested inside a level change (a hook called force()): the outer call flushes once its change is complete.
    if (this.#changing === 0) this.#queue.flush(this.#isClosed)
  }

  readonly #isClosed = (): boolean => this.#closed

  /** A level change: level hooks first (subsystem state has followed already, in #settle), then the log line, then user listeners. */
  #deliver(event: PendingEvent): void {
    if (event.level === undefined) return void this.#events.emit('sample', event.sample)
    if (event.hooks) this.#hooks.deliver(event.level)
    if (!event.listeners) return
    logChange(this.#options.logger, event.level)
    this.#events.emit('level', event.level)
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
