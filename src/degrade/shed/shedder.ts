import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ControllerCore } from '../../pressure/core.js'
import { LEVELS, type Level } from '../../pressure/levels.js'
import { SafeEmitter } from '../../util/safe-emitter.js'
import { checkFunction, checkOneOf, checkOptions } from '../../util/validate.js'
import { checkSignal } from '../../util/abort-signal.js'
import type { AdmissionTable } from './admission.js'
import { ConcurrencyLimiter } from './concurrency-limiter.js'
import { HttpGuard, type GuardedShedder, type ShedHttpOptions } from './http/guard.js'
import { PRIORITIES, type Priority } from './priority.js'
import { ShedError, type ShedReason, type ShedRefusal } from './error.js'
import { createShedMiddleware, type ShedMiddleware } from './http/middleware.js'
import { checkRetryAfter, resolveShedOptions, type ResolvedShedOptions, type ShedOptions } from './options.js'
import { ShedPermit, whenDecided, type PermitCallback, type PermitOwner } from './permit.js'

export type { ShedOptions } from './options.js'

/** `shed.stats()`: what the shedder holds now and what it has decided so far. */
export interface ShedStats {
  /** Admitted work holding a slot now (critical work included). */
  inFlight: number
  /** Work waiting for a slot now. */
  queued: number
  /** Admissions so far (`admit()` answers of true, and slots granted). */
  admitted: number
  /** Refusals so far, per priority. */
  refused: Record<Priority, number>
  /** Refusals so far, per reason. */
  refusedByReason: Record<ShedReason, number>
  /** The concurrency limit at the current level, or null when there is none. */
  limit: number | null
  /** The level the shedder applies now. */
  level: Level
}

export interface AcquireOptions {
  /** Seconds a refusal tells the client to wait; default the controller's `shed.retryAfter`. */
  retryAfter?: number
}

export interface RunOptions extends AcquireOptions {
  /** Default `'normal'`. */
  priority?: Priority
  /**
   * Aborting withdraws the work from the queue, or, once it runs, rejects `run()` with the
   * signal's reason and gives its slot back at once (so `fn` should honour the signal it gets).
   */
  signal?: AbortSignal
}

export type ShedEvents = {
  /** A piece of work was shed. */
  refused: [ShedRefusal]
  error: [Error]
}

const ZEROS_BY_PRIORITY = (): Record<Priority, number> => ({ critical: 0, high: 0, normal: 0, low: 0 })
const ZEROS_BY_REASON = (): Record<ShedReason, number> => ({ level: 0, 'queue-full': 0, 'queue-timeout': 0, closed: 0 })
/** Everything admitted: the table a closed controller applies. */
const ADMIT_ALL: Readonly<Record<Priority, boolean>> = Object.freeze({
  critical: true,
  high: true,
  normal: true,
  low: true,
})
/** A listener with a wrong event name would never be called, and a non-function would fail at the first refusal: both throw here. */
function checkListener(where: string, event: unknown, fn: unknown, optional = false): void {
  checkOneOf(where, 'argument `event`', event, SHED_EVENTS)
  if (!(optional && fn === undefined)) checkFunction(where, 'argument `fn`', fn)
}

const SHED_EVENTS = ['refused'] as const

/** Handed to `run()` functions when the caller gave no signal. */
const NEVER_ABORTED = new AbortController().signal

/**
 * The HTTP glue's way into a shedder, off its public surface. `Symbol.for`, not a local symbol:
 * the Fastify plugin of one build (ESM) must find it on a controller of the other (CJS).
 */
export const HTTP_GUARD = Symbol.for('heapguard.shed.httpGuard')

/**
 * Load shedding by priority: an admission table per level, an optional concurrency limit per
 * level with a bounded wait queue, and the HTTP glue. Reached as `pressure.shed`.
 *
 * The table row and the limit of the current level are looked up once per level change, so
 * `admit()` and an admission at a level without a limit cost one property read and a counter.
 * Once the controller is closed, queued work is refused and everything else is admitted.
 */
export class Shedder {
  readonly #core: ControllerCore
  readonly #options: ResolvedShedOptions
  readonly #limiter: ConcurrencyLimiter
  readonly #events: SafeEmitter<ShedEvents>
  readonly #owner: PermitOwner
  readonly #refused = ZEROS_BY_PRIORITY()
  readonly #refusedByReason = ZEROS_BY_REASON()
  readonly #defaultAcquire: AcquireOptions
  /** What the HTTP guards call per request; built once. */
  readonly #guarded: GuardedShedder
  #allowed: Readonly<Record<Priority, boolean>>
  #admitted = 0

  constructor(core: ControllerCore, options?: ShedOptions) {
    this.#core = core
    this.#options = resolveShedOptions(options)
    this.#limiter = new ConcurrencyLimiter(this.#options.queueSize, this.#options.queueTimeoutMs, PRIORITIES.length)
    // Listener failures go to the controller's 'error' event (or its logger), like every other.
    this.#events = new SafeEmitter<ShedEvents>({ error: (error: unknown) => core.report(error) }, 'heapguard shed')
    this.#defaultAcquire = { retryAfter: this.#options.retryAfter }
    this.#owner = {
      limiter: this.#limiter,
      countAdmitted: () => {
        this.#admitted++
      },
      refusal: (priority, reason, retryAfter) => new ShedError(this.#refuse(priority, reason, retryAfter)),
      report: (error) => core.report(error),
    }
    const { limits } = this.#options
    this.#guarded = {
      limited: LEVELS.some((level) => limits[level] !== null),
      decide: (priority, retryAfter) => this.#decide(priority, retryAfter),
      admitNow: (priority, retryAfter) => {
        if (!this.#allowed[priority]) return new ShedError(this.#refuse(priority, 'level', retryAfter))
        this.#limiter.forceAcquire()
        this.#admitted++
        return null
      },
      releaseSlot: () => this.#limiter.release(),
      report: (error) => core.report(error),
      retryAfter: this.#options.retryAfter,
    }
    // The controller may have sampled a level already: start from it.
    this.#allowed = this.#options.admission[core.level]
    this.#limiter.setLimit(limits[core.level])
    core.onLevelChange(() => this.#applyLevel())
    core.onClose(() => this.#close())
  }

  /** The admission table in force, per level and priority (after merging the options over the default). */
  get admission(): AdmissionTable {
    return this.#options.admission
  }

  /** The concurrency limit per level (null = none), after inheritance from lower levels. */
  get limits(): Readonly<Record<Level, number | null>> {
    return this.#options.limits
  }

  /** Seconds sent in `Retry-After` unless a middleware or call says otherwise. */
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
    if (typeof this.#allowed[priority] !== 'boolean')
      checkOneOf('shed.acquire', 'argument `priority`', priority, PRIORITIES)
    checkFunction('shed.acquire', 'argument `callback`', callback)
    const retryAfter =
      options === this.#defaultAcquire ? this.#options.retryAfter : this.#retryAfterOf('shed.acquire', options)
    const permit = this.#decide(priority, retryAfter)
    if (permit.state === 'waiting') permit[whenDecided](callback)
    // Immediate: called here, unguarded, so what the callback throws reaches the caller of acquire().
    else callback(permit.refusal, permit)
    return permit
  }

  /**
   * The admission itself, on arguments already checked: an immediate decision, or a permit
   * queued for a slot. Nobody is called here; the caller reads the permit's state.
   */
  #decide(priority: Priority, retryAfter: number): ShedPermit {
    const permit = new ShedPermit(this.#owner, priority, retryAfter)
    if (!this.#allowed[priority]) {
      permit.rejected('level')
    } else if (priority === 'critical') {
      this.#limiter.forceAcquire()
      permit.granted()
    } else if (this.#limiter.tryAcquire()) {
      permit.granted()
    } else if (!this.#limiter.enqueue(permit)) {
      permit.rejected('queue-full')
    }
    return permit
  }

  /**
   * Runs `fn` in a slot. Resolves with its result, or rejects with a `ShedError` when the work
   * is refused (by the table, a full queue or a wait that ran out), with `fn`'s error, or with
   * the signal's reason on abort. The slot is given back however it ends.
   */
  run<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, options: RunOptions = {}): Promise<T> {
    let priority: Priority
    let signal: AbortSignal | undefined
    let acquireOptions: AcquireOptions
    try {
      checkFunction('shed.run', 'argument `fn`', fn)
      const checked = checkOptions<RunOptions>('shed.run', 'options', options, ['priority', 'signal', 'retryAfter'])
      priority = checkOneOf('shed.run', 'option `priority`', checked.priority ?? 'normal', PRIORITIES)
      signal = checkSignal('shed.run', 'option `signal`', checked.signal)
      acquireOptions =
        checked.retryAfter === undefined
          ? this.#defaultAcquire
          : { retryAfter: checkRetryAfter('shed.run', 'option `retryAfter`', checked.retryAfter) }
    } catch (error) {
      return Promise.reject(error)
    }
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      let permit: ShedPermit | undefined
      let settled = false
      const settle = (fulfilled: boolean, value: unknown): void => {
        if (settled) return
        settled = true
        // Optional call: a signal is checked by shape (another realm's, a polyfill), not by class.
        signal?.removeEventListener?.('abort', onAbort)
        permit?.release()
        if (fulfilled) resolve(value as T)
        else reject(value)
      }
      const onAbort = (): void => settle(false, signal!.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      permit = this.acquire(
        priority,
        (error, granted) => {
          permit = granted
          if (error !== undefined) return settle(false, error)
          let result: T | PromiseLike<T>
          try {
            result = fn(signal ?? NEVER_ABORTED)
          } catch (thrown) {
            return settle(false, thrown)
          }
          Promise.resolve(result).then(
            (value) => settle(true, value),
            (thrown: unknown) => settle(false, thrown),
          )
        },
        acquireOptions,
      )
    })
  }

  /**
   * Middleware for node:http, Connect and Express. Refused requests are answered at once with
   * 503, `Retry-After` and `{ error, level, retryAfter }`; an admitted request holds its slot
   * until its response closes (finished, or the client went away).
   */
  middleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
    options: ShedHttpOptions<Req> = {},
  ): ShedMiddleware<Req, Res> {
    return createShedMiddleware<Req, Res>(this[HTTP_GUARD]<Req>('shed.middleware', options))
  }

  /** @internal The request-level glue shared by the middleware and the Fastify plugin. */
  [HTTP_GUARD]<Req>(where: string, options: unknown): HttpGuard<Req> {
    return new HttpGuard<Req>(this.#guarded, where, options)
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
    checkListener('shed.on', event, fn)
    this.#events.on(event, fn)
    return this
  }

  once<E extends 'refused'>(event: E, fn: (...args: ShedEvents[E]) => void): this {
    checkListener('shed.once', event, fn)
    this.#events.once(event, fn)
    return this
  }

  /** Removes one registration of `fn`, or every `'refused'` listener when `fn` is omitted. */
  off<E extends 'refused'>(event: E, fn?: (...args: ShedEvents[E]) => void): this {
    checkListener('shed.off', event, fn, true)
    this.#events.off(event, fn)
    return this
  }

  #retryAfterOf(where: string, options: unknown): number {
    const { retryAfter } = checkOptions<AcquireOptions>(where, 'options', options, ['retryAfter'])
    return retryAfter === undefined
      ? this.#options.retryAfter
      : checkRetryAfter(where, 'option `retryAfter`', retryAfter)
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
    this.#limiter.rejectWhere((waiter) => !allowed[(waiter as ShedPermit).priority], 'level')
    this.#limiter.setLimit(this.#options.limits[this.#core.level])
  }

  #close(): void {
    this.#allowed = ADMIT_ALL
    this.#limiter.close()
    this.#events.removeAll()
  }
}
