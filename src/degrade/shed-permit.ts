import type { ConcurrencyLimiter, Waiter } from './concurrency-limiter.js'
import { priorityRank, type Priority } from './priority.js'
import type { ShedError, ShedReason } from './shed-error.js'

/**
 * - `waiting`: queued for a slot;
 * - `admitted`: holds a slot until `release()`;
 * - `refused`: shed, never held a slot;
 * - `released`: the slot was given back, or the wait withdrawn.
 */
export type PermitState = 'waiting' | 'admitted' | 'refused' | 'released'

/**
 * Called once with the decision: no error when admitted, a `ShedError` when refused. Called
 * synchronously from `acquire()` when the decision is immediate, later when the work had to
 * wait. Never called after `release()` withdrew a waiting permit.
 */
export type PermitCallback = (error: ShedError | undefined, permit: ShedPermit) => void

/** What a permit reports to the shedder that issued it. */
export interface PermitOwner {
  readonly limiter: ConcurrencyLimiter
  countAdmitted(): void
  refusal(priority: Priority, reason: ShedReason, retryAfter: number): ShedError
  report(error: unknown): void
}

/**
 * One piece of work's claim on a slot. `release()` is idempotent, so every exit path of the
 * work (finished, failed, client gone) may call it and the slot is given back exactly once.
 */
export class ShedPermit implements Waiter {
  readonly lane: number
  timer: NodeJS.Timeout | undefined = undefined
  #state: PermitState = 'waiting'
  #callback: PermitCallback | undefined

  constructor(
    readonly owner: PermitOwner,
    readonly priority: Priority,
    /** Seconds a refusal of this work tells the client to wait. */
    readonly retryAfter: number,
    callback: PermitCallback,
  ) {
    this.lane = priorityRank(priority)
    this.#callback = callback
  }

  get state(): PermitState {
    return this.#state
  }

  /** Gives the slot back (admitted) or leaves the queue (waiting); otherwise does nothing. */
  release(): void {
    if (this.#state === 'admitted') {
      this.#state = 'released'
      this.owner.limiter.release()
    } else if (this.#state === 'waiting') {
      this.#state = 'released'
      this.#callback = undefined
      this.owner.limiter.withdraw(this)
    }
  }

  /** @internal The limiter (or the shedder) gave this permit a slot. */
  granted(): void {
    if (this.#state !== 'waiting') return
    this.#state = 'admitted'
    this.owner.countAdmitted()
    this.#decide(undefined)
  }

  /** @internal The permit was turned away. */
  rejected(reason: ShedReason): void {
    if (this.#state !== 'waiting') return
    this.#state = 'refused'
    this.#decide(this.owner.refusal(this.priority, reason, this.retryAfter))
  }

  #decide(error: ShedError | undefined): void {
    const callback = this.#callback
    this.#callback = undefined
    try {
      callback?.(error, this)
    } catch (thrown) {
      // The decision may come from a timer or another request's release: never throw there.
      this.owner.report(thrown)
    }
  }
}
