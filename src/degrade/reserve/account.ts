import type { ReconcileRule } from './options.js'
import type { HeldEntry } from './reservation.js'

/**
 * What reservations add to one source's reading, and the reconciliation with the allocations
 * they announced (see `ReconcileRule`), fed with every raw reading of the source:
 * - growth of `used` (or, under `floor`, of the heap after a major GC) is charged to the live
 *   reservations oldest first: that memory is now in `used`, so it stops counting twice;
 * - `reclaimed` is what caches gave back to make room for a reservation: evicted, not yet
 *   collected. A fall of `used` (a GC) uses it up, and a major GC clears it.
 */
export class SourceAccount {
  readonly name: string
  readonly #rule: ReconcileRule
  /** Live entries in grant order: oldest first, which is also the order they expire in. */
  readonly #held = new Set<HeldEntry>()
  #outstanding = 0
  #heldBytes = 0
  #reclaimed = 0
  /** The last raw `used`; undefined until the source gave a reading. */
  #lastUsed: number | undefined
  /** `floor` rule: `used` at the last major GC (until one is seen: at the first reading). */
  #floor: number | undefined

  constructor(name: string, rule: ReconcileRule, used: number | undefined) {
    this.name = name
    this.#rule = rule
    this.#lastUsed = used
    this.#floor = used
  }

  /** Bytes the live reservations still add. */
  get outstanding(): number {
    return this.#outstanding
  }

  /** Bytes given back by caches and not yet collected. */
  get reclaimed(): number {
    return this.#reclaimed
  }

  /** Bytes of the live reservations, as reserved. */
  get heldBytes(): number {
    return this.#heldBytes
  }

  get size(): number {
    return this.#held.size
  }

  /** The live entries, oldest first. */
  entries(): IterableIterator<HeldEntry> {
    return this.#held.values()
  }

  /** `used + outstanding − reclaimed` for a raw `used` (never below 0). */
  effective(used: number): number {
    return Math.max(0, used + this.#outstanding - this.#reclaimed)
  }

  /** Feeds one raw reading of the source. */
  observe(used: number, afterMajorGc: boolean): void {
    const delta = used - (this.#lastUsed ?? used)
    this.#lastUsed = used
    this.#floor ??= used
    if (delta < 0) this.#reclaimed = Math.max(0, this.#reclaimed + delta)
    if (afterMajorGc) this.#reclaimed = 0
    if (this.#rule === 'growth') {
      if (delta > 0) this.#charge(delta)
    } else if (this.#rule === 'floor' && afterMajorGc) {
      const rise = used - this.#floor!
      this.#floor = used
      if (rise > 0) this.#charge(rise)
    }
  }

  add(entry: HeldEntry): void {
    this.#held.add(entry)
    this.#outstanding += entry.outstanding
    this.#heldBytes += entry.bytes
  }

  /** Stops counting everything (the controller closed). */
  clear(): void {
    for (const entry of this.#held) entry.outstanding = 0
    this.#held.clear()
    this.#outstanding = this.#heldBytes = this.#reclaimed = 0
  }

  /** Takes an entry out (released or expired); it counts nothing from now on. */
  remove(entry: HeldEntry): void {
    if (!this.#held.delete(entry)) return
    this.#outstanding -= entry.outstanding
    this.#heldBytes -= entry.bytes
    entry.outstanding = 0
    // Float drift must never leave a ledger with nothing held counting a few bytes.
    if (this.#held.size === 0) this.#outstanding = this.#heldBytes = 0
  }

  /** Counts bytes caches gave back (evicted for a reservation, not yet collected). */
  credit(bytes: number): void {
    this.#reclaimed += bytes
  }

  /** The entries granted before `before`, oldest first: what the leak guard expires. */
  grantedBefore(before: number): HeldEntry[] {
    const out: HeldEntry[] = []
    for (const entry of this.#held) {
      if (entry.grantedAt >= before) break
      out.push(entry)
    }
    return out
  }

  /** Charges growth to the oldest reservations first: the oldest work has most likely allocated. */
  #charge(bytes: number): void {
    let left = bytes
    for (const entry of this.#held) {
      if (left <= 0) break
      const take = Math.min(entry.outstanding, left)
      entry.outstanding -= take
      this.#outstanding -= take
      left -= take
    }
  }
}
