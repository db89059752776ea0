import type { QueueExit, Waiter } from './concurrency-limiter.js'
import type { ShedError } from './error.js'
import { priorityRank, type Priority } from './priority.js'

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

/**
 * One piece of work's claim on a slot, from `pressure.shed.acquire()`. `release()` is
 * idempotent (and bound, so `res.on('close', permit.release)` works), so every exit path of the
 * work (finished, failed, client gone) may call it and the slot is given back exactly once.
 */
export interface ShedPermit {
  readonly priority: Priority
  readonly state: PermitState
  /** The `ShedError` once the work was refused, else undefined. */
  readonly refusal: ShedError | undefined
  /** Gives the slot back (admitted) or leaves the queue (waiting); otherwise does nothing. */
  readonly release: () => void
}

/** What a permit needs from the shedder that issued it. */
export interface PermitIssuer {
  /** Gives a held slot back. */
  releaseSlot(): void
  /** Takes a waiting permit out of the queue. */
  withdraw(waiter: Waiter): void
  countAdmitted(): void
  refusal(priority: Priority, reason: QueueExit, retryAfter: number): ShedError
  readonly report: (error: unknown) => void
}

/**
 * The shedder's permits. Only `ShedPermit`'s members are public; the others are the shedder's
 * (a permit as users hold it has none of them, so no caller can grant itself a slot). An
 * immediate decision is read from `state` (and `refusal`) by whoever asked, who then calls its
 * continuation outside any guard, so an exception there reaches its own caller. Only a decision
 * that comes later, from the queue, goes through the callback given to `whenDecided`, guarded: it
 * runs from a timer or another request's release, where nothing may be thrown.
 */
export class Permit implements ShedPermit {
  readonly priority: Priority
  readonly #issuer: PermitIssuer
  readonly #retryAfter: number
  readonly #reserves: boolean
  #state: PermitState = 'waiting'
  #refusal: ShedError | undefined
  #callback: PermitCallback | undefined
  #waiter: Waiter | undefined

  constructor(issuer: PermitIssuer, priority: Priority, retryAfter: number, reserves: boolean) {
    this.#issuer = issuer
    this.priority = priority
    this.#retryAfter = retryAfter
    this.#reserves = reserves
  }

  get state(): PermitState {
    return this.#state
  }

  get refusal(): ShedError | undefined {
    return this.#refusal
  }

  readonly release = (): void => {
    if (this.#state === 'admitted') {
      this.#state = 'released'
      this.#issuer.releaseSlot()
    } else if (this.#state === 'waiting') {
      this.#state = 'released'
      this.#callback = undefined
      if (this.#waiter !== undefined) this.#issuer.withdraw(this.#waiter)
    }
  }

  /** What the limiter queues: made only for permits that wait, so an immediate decision costs one object. */
  waiter(): Waiter {
    return (this.#waiter ??= this.#makeWaiter())
  }

  /** A slot was taken for it (the shedder decided at once, or the limiter drained the queue). */
  grant(): void {
    this.#granted()
  }

  /** Turned away: by the admission table or a full queue (at once), or from the queue (later). */
  refuse(reason: QueueExit): void {
    this.#rejected(reason)
  }

  /** The callback of a decision that comes later; ignored once decided. */
  whenDecided(callback: PermitCallback): void {
    if (this.#state === 'waiting') this.#callback = callback
  }

  #makeWaiter(): Waiter {
    return {
      lane: priorityRank(this.priority),
      timer: undefined,
      granted: () => this.#granted(),
      rejected: (reason) => this.#rejected(reason),
      priority: this.priority,
      reserves: this.#reserves,
    }
  }

  #granted(): void {
    if (this.#state !== 'waiting') return
    this.#state = 'admitted'
    this.#issuer.countAdmitted()
    this.#decide(undefined)
  }

  #rejected(reason: QueueExit): void {
    if (this.#state !== 'waiting') return
    this.#state = 'refused'
    this.#decide((this.#refusal = this.#issuer.refusal(this.priority, reason, this.#retryAfter)))
  }

  #decide(error: ShedError | undefined): void {
    const callback = this.#callback
    if (callback === undefined) return
    this.#callback = undefined
    try {
      callback(error, this)
    } catch (thrown) {
      // The decision comes from a timer or another request's release: never throw there.
      this.#issuer.report(thrown)
    }
  }
}
