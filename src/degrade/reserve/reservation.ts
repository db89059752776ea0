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
  /** `floor` and `hold`: bytes it still adds to its source's reading. */
  outstanding: number
  /** `growth`: the reading of its source it holds room up to (the effective reading at grant plus its bytes, less later claims). */
  projected: number
  state: ReservationState
  /** Its source's raw `used` when it was granted, and the highest seen while it was held (the estimate check). */
  readonly usedAtGrant: number
  peakUsed: number
  /** What other work announced on its source: bytes granted to all reservations before it, plus what those live then still counted. */
  readonly othersAtGrant: { granted: number; outstanding: number }
  /** Its source's limit when it was granted (Infinity without a reading). */
  readonly limitAtGrant: number
  /** The room caches gave back for it, held down until it is released. */
  claim?: { release(): void } | undefined
}

/** What a reservation asks of the ledger that made it. */
export interface ReservationOwner {
  release(entry: HeldEntry): void
  /** What the entry adds to its source's reading now. */
  counted(entry: HeldEntry): number
}

/**
 * Memory that work has announced it will hold, from `pressure.reserve(bytes, { priority })`.
 * Release it when the work ends, however it ends: `release()` is idempotent and bound (so
 * `res.on('close', job.release)` works), and `using job = pressure.reserve(...)` releases it at
 * the end of the scope.
 */
export interface Reservation extends Disposable {
  /** The bytes reserved. */
  readonly bytes: number
  readonly priority: Priority
  /** The source it counts against. */
  readonly source: string
  /** When it was granted, by the controller's clock. */
  readonly grantedAt: number
  readonly state: ReservationState
  /** Bytes it adds to its source's reading now: its bytes less what its work has allocated since, as the `reconcile` rule sees it; 0 once released. */
  readonly counted: number
  /** Stops counting. Idempotent; harmless after expiry and after the controller closed. */
  readonly release: () => void
}

/** The ledger's handle on one of its entries. */
export class LedgerReservation implements Reservation {
  readonly bytes: number
  readonly priority: Priority
  readonly source: string
  readonly grantedAt: number
  readonly #entry: HeldEntry
  readonly #owner: ReservationOwner

  constructor(entry: HeldEntry, owner: ReservationOwner) {
    this.bytes = entry.bytes
    this.priority = entry.priority
    this.source = entry.source
    this.grantedAt = entry.grantedAt
    this.#entry = entry
    this.#owner = owner
  }

  get state(): ReservationState {
    return this.#entry.state
  }

  get counted(): number {
    return this.#entry.state === 'held' ? this.#owner.counted(this.#entry) : 0
  }

  readonly release = (): void => {
    const entry = this.#entry
    if (entry.state !== 'held') return
    entry.state = 'released'
    this.#owner.release(entry)
  };

  [Symbol.dispose](): void {
    this.release()
  }
}
