import type { Priority } from './priority.js'

/** Why a waiter left the queue without a slot. */
export type QueueExit = 'queue-full' | 'queue-timeout' | 'level' | 'closed'

/** Something waiting for a slot. */
export interface Waiter {
  /** Queue lane: lower lanes are served first; FIFO within a lane. */
  readonly lane: number
  /** What the work is worth: a level change refuses waiters by it. */
  readonly priority: Priority
  /** Work that reserves its memory: a level change does not refuse it (its reservation will decide). */
  readonly reserves: boolean
  /** The wait timeout; owned by the limiter while the waiter is queued. */
  timer: NodeJS.Timeout | undefined
  /** A slot was taken for this waiter (`inFlight` already counts it). Must not throw. */
  granted(): void
  /** The waiter left the queue without a slot. Must not throw. */
  rejected(reason: QueueExit): void
}

/**
 * At most `limit` slots held at once (no bound while `limit` is null), and a small bounded
 * queue for the rest. The queue is served by lane, then first in first out. When it is full, a
 * newcomer displaces the oldest waiter of a less urgent lane, or is turned away. Every waiter
 * leaves with a slot, or with a reason: queue full, timeout, withdrawn, or closed.
 *
 * Invariant: while anyone waits, every slot is taken (`queued > 0` implies `inFlight >= limit`),
 * because every change that frees capacity (release, a higher limit) drains the queue at once.
 */
export class ConcurrencyLimiter {
  readonly #lanes: Set<Waiter>[]
  #limit: number | null = null
  #inFlight = 0
  #queued = 0
  #draining = false

  constructor(
    /** Waiters kept at most; 0 = no queue, refuse as soon as the limit is reached. */
    readonly queueSize: number,
    /** How long a waiter may wait for a slot (ms). */
    readonly timeoutMs: number,
    lanes: number,
  ) {
    // Sets keep insertion order and delete in O(1): FIFO lanes with cheap withdrawal.
    this.#lanes = Array.from({ length: lanes }, () => new Set<Waiter>())
  }

  get limit(): number | null {
    return this.#limit
  }

  get inFlight(): number {
    return this.#inFlight
  }

  get queued(): number {
    return this.#queued
  }

  /** Takes a slot when one is free and nobody waits for it already. */
  tryAcquire(): boolean {
    if (this.#limit !== null && (this.#inFlight >= this.#limit || this.#queued > 0)) return false
    this.#inFlight++
    return true
  }

  /** Takes a slot whatever the limit: work that must never wait. */
  forceAcquire(): void {
    this.#inFlight++
  }

  /** Gives a slot back and hands it to the next waiter. */
  release(): void {
    if (this.#inFlight > 0) this.#inFlight--
    this.#drain()
  }

  /** Changes the limit (null = none); a higher limit admits waiters at once. */
  setLimit(limit: number | null): void {
    this.#limit = limit
    this.#drain()
  }

  /**
   * Queues the waiter until a slot frees up or `timeoutMs` passes. Returns false when the queue
   * is full of waiters at least as urgent (the caller refuses the newcomer).
   */
  enqueue(waiter: Waiter): boolean {
    let displaced: Waiter | undefined
    if (this.#queued >= this.queueSize) {
      displaced = this.#oldestLessUrgentThan(waiter.lane)
      if (displaced === undefined) return false
      this.#remove(displaced)
    }
    this.#lanes[waiter.lane]!.add(waiter)
    this.#queued++
    waiter.timer = setTimeout(this.#onTimeout, this.timeoutMs, waiter)
    waiter.timer.unref()
    // Told last, once the queue is consistent: its callback may come back into the limiter.
    displaced?.rejected('queue-full')
    return true
  }

  /** Takes a waiter out of the queue (its caller gave up). False when it was not queued. */
  withdraw(waiter: Waiter): boolean {
    return this.#remove(waiter)
  }

  /** Turns away every queued waiter that `drop` selects. */
  rejectWhere(drop: (waiter: Waiter) => boolean, reason: QueueExit): void {
    const dropped: Waiter[] = []
    for (const lane of this.#lanes) for (const waiter of lane) if (drop(waiter)) dropped.push(waiter)
    for (const waiter of dropped) this.#remove(waiter)
    for (const waiter of dropped) waiter.rejected(reason)
  }

  /** Turns every waiter away and lifts the limit; held slots are still given back as usual. */
  close(): void {
    this.rejectWhere(() => true, 'closed')
    this.#limit = null
  }

  readonly #onTimeout = (waiter: Waiter): void => {
    waiter.timer = undefined
    if (this.#remove(waiter)) waiter.rejected('queue-timeout')
  }

  #remove(waiter: Waiter): boolean {
    if (!this.#lanes[waiter.lane]!.delete(waiter)) return false
    this.#queued--
    clearTimeout(waiter.timer)
    waiter.timer = undefined
    return true
  }

  #oldestLessUrgentThan(lane: number): Waiter | undefined {
    for (let i = this.#lanes.length - 1; i > lane; i--) {
      const oldest = this.#lanes[i]!.values().next()
      if (!oldest.done) return oldest.value
    }
    return undefined
  }

  #drain(): void {
    // A granted waiter may release (or acquire) synchronously; the outer loop picks that up.
    if (this.#draining) return
    this.#draining = true
    try {
      while (this.#queued > 0 && (this.#limit === null || this.#inFlight < this.#limit)) {
        const next = this.#first()!
        this.#remove(next)
        this.#inFlight++
        next.granted()
      }
    } finally {
      this.#draining = false
    }
  }

  #first(): Waiter | undefined {
    for (const lane of this.#lanes) {
      const first = lane.values().next()
      if (!first.done) return first.value
    }
    return undefined
  }
}
