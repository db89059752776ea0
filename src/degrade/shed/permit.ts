import type { ConcurrencyLimiter, Waiter } from './concurrency-limiter.js'
import { priorityRank, type Priority } from './priority.js'
import type { ShedError, ShedReason } from './error.js'

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

/** The shedder's handle for a decision that comes later, kept off the permit's public surface. */
export const whenDecided = Symbol('heapguard.permit.whenDecided')

/**
 * One piece of work's claim on a slot. `release()` is idempotent, so every exit path of the
 * work (finished, failed, client gone) may call it and the slot is given back exactly once.
 *
 * An immediate decision is read from `state` (and `refusal`) by whoever asked, who then calls
 * its continuation outside any guard, so an exception there reaches its own caller. Only a
 * decision that comes later, from the queue, goes through the callback given to `[whenDecided]`,
 * guarded: it runs from a timer or another request's release, where nothing may be thrown.
 */
export class ShedPermit implements Waiter {
  readonly lane: number
  timer: NodeJS.Timeout | undefined = undefined
  #state: PermitState = 'waiting'
  #refusal: ShedError | undefined
  #callback: PermitCallback | undefined

  constructor(
    readonly owner: PermitOwner,
    readonly priority: Priority,
    /** Seconds a refusal of this work tells the client to wait. */
    readonly retryAfter: number,
  ) {
    this.lane = priorityRank(priority)
  }

  get state(): PermitState {
    return this.#state
  }

  /** The `ShedError` once the work was refused, else undefined. */
  get refusal(): ShedError | undefined {
    return this.#refusal
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

  /** @internal Where the decision goes if it comes after `acquire()` returned (the permit waits). */
  [whenDecided](callback: PermitCallback): void {
    if (this.#state === 'waiting') this.#callback = callback
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
    this.#decide((this.#refusal = this.owner.refusal(this.priority, reason, this.retryAfter)))
  }

  #decide(error: ShedError | undefined): void {
    const callback = this.#callback
    if (callback === undefined) return
    this.#callback = undefined
    try {
      callback(error, this)
    } catch (thrown) {
      // The decision comes from a timer or another request's release: never throw there.
      this.owner.report(thrown)
    }
  }
}
