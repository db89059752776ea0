import type { Priority } from '../shed/priority.js'

/**
 * - `held`: counts against its source until released;
 * - `released`: `release()` was called (or the controller was closed before it was made);
 * - `expired`: held past `maxHoldMs`; the leak guard reported it and it no longer counts.
 */
export type ReservationState = 'held' | 'released' | 'expired'

/** The ledger's record of one reservation: what it still counts, and since when it is held. */
export interface HeldEntry {
  readonly bytes: number
  readonly priority: Priority
  readonly source: string
  readonly grantedAt: number
  /** Bytes it still adds to its source's reading: what its work has not yet allocated. */
  outstanding: number
  state: ReservationState
}

/** Builds the handle of an entry; module-private, so only the ledger makes reservations. */
export let createReservation: (entry: HeldEntry, onRelease: (entry: HeldEntry) => void) => Reservation

/**
 * Memory that work has announced it will hold, from `pressure.reserve(bytes, { priority })`.
 * Release it when the work ends, however it ends: `release()` is idempotent and bound (so
 * `res.on('close', job.release)` works), and `using job = pressure.reserve(...)` releases it at
 * the end of the scope.
 */
export class Reservation implements Disposable {
  /** The bytes reserved. */
  readonly bytes: number
  readonly priority: Priority
  /** The source it counts against. */
  readonly source: string
  /** When it was granted, by the controller's clock. */
  readonly grantedAt: number
  readonly #entry: HeldEntry
  readonly #onRelease: (entry: HeldEntry) => void

  static {
    createReservation = (entry, onRelease) => new Reservation(entry, onRelease)
  }

  private constructor(entry: HeldEntry, onRelease: (entry: HeldEntry) => void) {
    this.bytes = entry.bytes
    this.priority = entry.priority
    this.source = entry.source
    this.grantedAt = entry.grantedAt
    this.#entry = entry
    this.#onRelease = onRelease
  }

  get state(): ReservationState {
    return this.#entry.state
  }

  /** Bytes it adds to its source's reading now: its bytes less what the source has grown by since (see `reconcile`); 0 once released. */
  get counted(): number {
    return this.#entry.state === 'held' ? this.#entry.outstanding : 0
  }

  /** Stops counting. Idempotent; harmless after expiry and after the controller closed. */
  readonly release = (): void => {
    const entry = this.#entry
    if (entry.state !== 'held') return
    entry.state = 'released'
    this.#onRelease(entry)
  };

  [Symbol.dispose](): void {
    this.release()
  }
}
