import type { ControllerCore } from '../../pressure/core.js'
import type { Level } from '../../pressure/levels.js'
import { checkSignal } from '../../util/abort-signal.js'
import { SafeEmitter } from '../../util/safe-emitter.js'
import { checkBoolean, checkFunction, checkNumber, checkOneOf, checkOptions } from '../../util/validate.js'
import type { AdmissionTable } from './admission.js'
import { ConcurrencyLimiter } from './concurrency-limiter.js'
import { ShedError, type ShedReason, type ShedRefusal } from './error.js'
import { checkRetryAfter, resolveShedOptions, type ResolvedShedOptions, type ShedOptions } from './options.js'
import { Permit, type PermitCallback, type PermitIssuer, type ShedPermit } from './permit.js'
import { previewAdmission } from './preview.js'
import { PRIORITIES, type Priority } from './priority.js'
import { runInSlot } from './run.js'
import type { AcquireOptions, RunOptions, ShedEvents, ShedStats } from './types.js'

export type { ShedOptions } from './options.js'
export type { AcquireOptions, RunOptions, ShedEvents, ShedStats } from './types.js'

const zerosByPriority = (): Record<Priority, number> => ({ critical: 0, high: 0, normal: 0, low: 0 })
const zerosByReason = (): Record<ShedReason, number> => ({
  level: 0,
  'queue-full': 0,
  'queue-timeout': 0,
  closed: 0,
  memory: 0,
})
/** Everything admitted: the table a closed controller applies. */
const ADMIT_ALL: Readonly<Record<Priority, boolean>> = Object.freeze({
  critical: true,
  high: true,
  normal: true,
  low: true,
})
const RUN_OPTION_KEYS: readonly (keyof RunOptions & string)[] = ['priority', 'signal', 'retryAfter', 'bytes']
const ACQUIRE_OPTION_KEYS: readonly (keyof AcquireOptions & string)[] = ['retryAfter', 'reserves']

/** Checked `acquire()` options. */
interface AcquirePlan {
  readonly retryAfter: number
  readonly reserves: boolean
}

/** `pressure.reserve`, as `run({ bytes })` uses it. */
export type ShedReserve = (bytes: number, options?: { priority?: Priority }) => { release(): void }

/**
 * Load shedding by priority: an admission table per level, an optional concurrency limit per
 * level with a bounded wait queue. Reached as `pressure.shed`, whose type (`Shedder`) adds the
 * middleware for node:http that the HTTP layer builds on this API (src/http/node/middleware.ts).
 */
export interface ShedderCore {
  /** The admission table in force, per level and priority (after merging the options over the default). */
  readonly admission: AdmissionTable
  /** The concurrency limit per level (null = none), after inheritance from lower levels. */
  readonly limits: Readonly<Record<Level, number | null>>
  /** Seconds sent in `Retry-After` unless a middleware or call says otherwise. */
  readonly retryAfter: number
  admit(priority?: Priority): boolean
  acquire(priority: Priority, callback: PermitCallback, options?: AcquireOptions): ShedPermit
  run<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options?: RunOptions): Promise<T>
  stats(): ShedStats
  on<E extends 'refused'>(event: E, fn: (...args: ShedEvents[E]) => void): this
  once<E extends 'refused'>(event: E, fn: (...args: ShedEvents[E]) => void): this
  off<E extends 'refused'>(event: E, fn?: (...args: ShedEvents[E]) => void): this
}

/** What the composition root hands a shedder besides its options. */
export interface ShedderParts<Middleware> {
  /** `pressure.reserve`, for `run({ bytes })`. */
  readonly reserve: ShedReserve
  /** Builds `shed.middleware` on the shedder's public API (src/http/node/middleware.ts). */
  readonly middleware: (shedder: ShedderCore) => Middleware
}

/**
 * The controller's `ShedderCore`. The table row and the limit of the current level are looked up
 * once per level change, so `admit()` and an admission at a level without a limit cost one
 * property read and a counter. Once the controller is closed, queued work is refused and
 * everything else is admitted.
 */
export class PriorityShedder<Middleware> implements ShedderCore {
  /** `shed.middleware`, built by the HTTP layer on this shedder's public API. */
  readonly middleware: Middleware
  readonly #core: ControllerCore
  readonly #options: ResolvedShedOptions
  readonly #limiter: ConcurrencyLimiter
  readonly #events: SafeEmitter<ShedEvents>
  readonly #issuer: PermitIssuer
  readonly #refused = zerosByPriority()
  readonly #refusedByReason = zerosByReason()
  readonly #defaultAcquire: AcquireOptions
  /** The last options object `acquire()` checked (frozen, as the HTTP guards pass theirs): checked once. */
  #checkedAcquire: AcquireOptions | undefined
  #checkedPlan: AcquirePlan = { retryAfter: 0, reserves: false }
  readonly #defaultPlan: AcquirePlan
  #allowed: Readonly<Record<Priority, boolean>>
  #admitted = 0
  readonly #reserve: ShedReserve

  constructor(core: ControllerCore, options: ShedOptions | undefined, parts: ShedderParts<Middleware>) {
    this.#core = core
    this.#reserve = parts.reserve
    this.#options = resolveShedOptions(options)
    this.#limiter = new ConcurrencyLimiter(this.#options.queueSize, this.#options.queueTimeoutMs, PRIORITIES.length)
    // Listener failures go to the controller's 'error' event (or its logger), like every other.
    this.#events = new SafeEmitter<ShedEvents>(
      { error: (error: unknown) => core.report(error) },
      'heapguard shed',
      ['refused'],
      'shed.',
    )
    this.#defaultAcquire = Object.freeze({ retryAfter: this.#options.retryAfter })
    this.#defaultPlan = Object.freeze({ retryAfter: this.#options.retryAfter, reserves: false })
    const limiter = this.#limiter
    this.#issuer = {
      releaseSlot: () => limiter.release(),
      withdraw: (waiter) => limiter.withdraw(waiter),
      countAdmitted: () => {
        this.#admitted++
      },
      refusal: (priority, reason, retryAfter) => new ShedError(this.#refuse(priority, reason, retryAfter)),
      report: (error) => core.report(error),
    }
    // The controller may have sampled a level already: start from it.
    this.#allowed = this.#options.admission[core.level]
    this.#limiter.setLimit(this.#options.limits[core.level])
    core.onLevelChange(() => this.#applyLevel())
    core.onPreview((change) => previewAdmission(this.#options.admission, this.#options.limits, change))
    core.onClose(() => this.#close())
    this.middleware = parts.middleware(this)
  }

  get admission(): AdmissionTable {
    return this.#options.admission
  }

  get limits(): Readonly<Record<Level, number | null>> {
    return this.#options.limits
  }

  get retryAfter(): number {
    return this.#options.retryAfter
  }

  /**
   * Whether the admission table lets work of this priority in at the current level. Takes no
   * slot and ignores the concurrency limit. Counts as an admission, or as a refusal (reason
   * `'level'`, with a `'refused'` event).
   */
  admit(priority: Priority = 'normal'): boolean {
    const allowed = this.#allowed[priority]
    if (allowed === true) {
      this.#admitted++
      return true
    }
    if (allowed !== false) checkOneOf('shed.admit', 'argument `priority`', priority, PRIORITIES)
    this.#refuse(priority, 'level', this.#options.retryAfter)
    return false
  }

  /**
   * Claims a slot for work you release yourself. `callback(error, permit)` gets the decision:
   * synchronously when it is immediate (admitted, or refused by the table or a full queue),
   * later when the work waits for a slot. Call `permit.release()` when the work ends, however
   * it ends; calling it while the work still waits withdraws it (the callback is then never
   * called). Critical work is always admitted at once, limit or not. What an immediate callback
   * throws propagates out of `acquire()`; what a later one throws is reported on `'error'`.
   */
  acquire(priority: Priority, callback: PermitCallback, options: AcquireOptions = this.#defaultAcquire): ShedPermit {
    if (typeof this.#allowed[priority] !== 'boolean') {
      checkOneOf('shed.acquire', 'argument `priority`', priority, PRIORITIES)
    }
    checkFunction('shed.acquire', 'argument `callback`', callback)
    const permit = this.#decide(priority, this.#planOf(options))
    if (permit.state === 'waiting') permit.whenDecided(callback)
    // Immediate: called here, unguarded, so what the callback throws reaches the caller of acquire().
    else callback(permit.refusal, permit)
    return permit
  }

  /**
   * Runs `fn` in a slot. Resolves with its result, or rejects with a `ShedError` when the work
   * is refused (by the table, a full queue, a wait that ran out, or, with `bytes`, memory that
   * does not fit), with `fn`'s error, or with the signal's reason on abort. The slot and the
   * reservation are given back however it ends.
   */
  run<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options: RunOptions = {}): Promise<T> {
    let priority: Priority
    let signal: AbortSignal | undefined
    let acquireOptions: AcquireOptions
    let reserve: (() => { release(): void }) | undefined
    try {
      checkFunction('shed.run', 'argument `fn`', fn)
      const checked = checkOptions<RunOptions>('shed.run', 'options', options, RUN_OPTION_KEYS)
      priority = checkOneOf('shed.run', 'option `priority`', checked.priority ?? 'normal', PRIORITIES)
      signal = checkSignal('shed.run', 'option `signal`', checked.signal)
      reserve = this.#reserverFor(checked.bytes, priority)
      const retryAfter =
        checked.retryAfter === undefined
          ? undefined
          : checkRetryAfter('shed.run', 'option `retryAfter`', checked.retryAfter)
      acquireOptions =
        retryAfter === undefined && reserve === undefined
          ? this.#defaultAcquire
          : Object.freeze({ retryAfter: retryAfter ?? this.#options.retryAfter, reserves: reserve !== undefined })
    } catch (error) {
      return Promise.reject(error)
    }
    return runInSlot((p, callback, o) => this.acquire(p, callback, o), fn, {
      priority,
      signal,
      acquireOptions,
      reserve,
    })
  }

  /** Counts a memory refusal (reason `'memory'`) as any other and builds its error: the reservation ledger's refusals. */
  refuseMemory(priority: Priority): ShedError {
    return new ShedError(this.#refuse(priority, 'memory', this.#options.retryAfter))
  }

  stats(): ShedStats {
    return {
      inFlight: this.#limiter.inFlight,
      queued: this.#limiter.queued,
      admitted: this.#admitted,
      refused: { ...this.#refused },
      refusedByReason: { ...this.#refusedByReason },
      limit: this.#limiter.limit,
      level: this.#core.level,
    }
  }

  /** `'refused'`: `{ priority, level, reason, retryAfter }` for each piece of work shed. A throwing listener is reported, never thrown. */
  on<E extends 'refused'>(event: E, fn: (...args: ShedEvents[E]) => void): this {
    this.#events.on(event, fn)
    return this
  }

  once<E extends 'refused'>(event: E, fn: (...args: ShedEvents[E]) => void): this {
    this.#events.once(event, fn)
    return this
  }

  /** Removes one registration of `fn`, or every `'refused'` listener when `fn` is omitted. */
  off<E extends 'refused'>(event: E, fn?: (...args: ShedEvents[E]) => void): this {
    this.#events.off(event, fn)
    return this
  }

  /**
   * The admission itself, on arguments already checked: an immediate decision, or a permit
   * queued for a slot. Nobody is called here; the caller reads the permit's state.
   */
  #decide(priority: Priority, plan: AcquirePlan): Permit {
    const permit = new Permit(this.#issuer, priority, plan.retryAfter, plan.reserves)
    // Work that reserves is refused by its reservation, not by the measured level (a forced one still holds).
    if (!this.#allowed[priority] && !(plan.reserves && this.#core.forced === null)) {
      permit.refuse('level')
    } else if (priority === 'critical') {
      this.#limiter.forceAcquire()
      permit.grant()
    } else if (this.#limiter.tryAcquire()) {
      permit.grant()
    } else if (!this.#limiter.enqueue(permit.waiter())) {
      permit.refuse('queue-full')
    }
    return permit
  }

  /** `run()`'s `bytes`: checked now, reserved once the work holds its slot. */
  #reserverFor(bytes: unknown, priority: Priority): (() => { release(): void }) | undefined {
    if (bytes === undefined) return undefined
    const checked = checkNumber('shed.run', 'option `bytes`', bytes, { min: 0 })
    const reserve = this.#reserve
    return () => reserve(checked, { priority })
  }

  #planOf(options: AcquireOptions): AcquirePlan {
    if (options === this.#defaultAcquire) return this.#defaultPlan
    if (options === this.#checkedAcquire) return this.#checkedPlan
    const { retryAfter, reserves } = checkOptions<AcquireOptions>(
      'shed.acquire',
      'options',
      options,
      ACQUIRE_OPTION_KEYS,
    )
    const plan: AcquirePlan = {
      retryAfter:
        retryAfter === undefined
          ? this.#options.retryAfter
          : checkRetryAfter('shed.acquire', 'option `retryAfter`', retryAfter),
      reserves: reserves === undefined ? false : checkBoolean('shed.acquire', 'option `reserves`', reserves),
    }
    if (Object.isFrozen(options)) {
      this.#checkedAcquire = options
      this.#checkedPlan = plan
    }
    return plan
  }

  /** Counts a refusal and tells the listeners; returns what it was. */
  #refuse(priority: Priority, reason: ShedReason, retryAfter: number): ShedRefusal {
    this.#refused[priority]++
    this.#refusedByReason[reason]++
    const refusal: ShedRefusal = { priority, level: this.#core.level, reason, retryAfter }
    if (this.#events.listenerCount('refused') > 0) this.#events.emit('refused', refusal)
    return refusal
  }

  /** Follows `core.level`, read afresh at each step: a refused waiter's callback may change the level again. */
  #applyLevel(): void {
    const allowed = (this.#allowed = this.#options.admission[this.#core.level])
    // Work that waits for a slot the new level would refuse outright is refused now, not later.
    const measured = this.#core.forced === null
    this.#limiter.rejectWhere((waiter) => !allowed[waiter.priority] && !(waiter.reserves && measured), 'level')
    this.#limiter.setLimit(this.#options.limits[this.#core.level])
  }

  #close(): void {
    this.#allowed = ADMIT_ALL
    this.#limiter.close()
    this.#events.removeAll()
  }
}
