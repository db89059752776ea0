import type { ReconcileRule } from './options.js'
import type { HeldEntry } from './reservation.js'

/**
 * What reservations add to one source's reading, fed with every raw reading of the source, and
 * how each is reconciled with the allocation it announced (see `ReconcileRule`):
 * - `growth`: a reservation granted when the source read E (reservations included) holds the
 *   source up to E + bytes, its projection: it counts only what the source is still below it.
 *   The reading the level logic uses is the larger of the source's own and the highest live
 *   projection, so work that allocates what it announced is never counted twice. After a major
 *   GC the garbage that was part of E is gone: projections are capped at the live heap plus what
 *   the reservations have not yet been seen to allocate (as `floor` charges it);
 * - `floor`: rises of `used` at major GCs are charged to the live reservations oldest first;
 * - `hold`: a reservation counts its bytes until released.
 *
 * Under every rule, `reclaimed` is what caches gave back to make room for a reservation:
 * evicted, not yet collected. A fall of `used` (a GC) uses it up, and a major GC clears it. The
 * room itself stays held down by the caches, so a claim also lowers the live projections.
 */
export class SourceAccount {
  readonly name: string
  readonly #rule: ReconcileRule
  /** Live entries in grant order: oldest first, which is also the order they expire in. */
  readonly #held = new Set<HeldEntry>()
  #heldBytes = 0
  #reclaimed = 0
  /** `floor` and `hold`: the sum of what the entries still count. */
  #outstanding = 0
  /** The last raw `used`; undefined until the source gave a reading. */
  #lastUsed: number | undefined
  /** `floor`: `used` at the last major GC (until one is seen: at the first reading). */
  #floor: number | undefined

  constructor(name: string, rule: ReconcileRule, used: number | undefined) {
    this.name = name
    this.#rule = rule
    this.#lastUsed = used
    this.#floor = used
  }

  /** Bytes caches gave back and the heap has not yet collected. */
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

  /** The reading the level logic uses for a raw `used`: reservations counted, reclaimed room taken off (never below 0). */
  effective(used: number): number {
    const own = Math.max(0, used - this.#reclaimed)
    if (this.#rule !== 'growth') return own + this.#outstanding
    let top = own
    for (const entry of this.#held) if (entry.projected > top) top = entry.projected
    // However far a GC took the reading down, reservations never add more than their bytes.
    return Math.min(top, own + this.#heldBytes)
  }

  /** Bytes the live reservations add to a raw `used` now. */
  outstanding(used: number): number {
    return this.effective(used) - Math.max(0, used - this.#reclaimed)
  }

  /**
   * What one entry still counts: under `growth`, the part of the total it covers, newest first
   * (a newer reservation's projection stands on the older ones'); else its own outstanding bytes.
   */
  counted(entry: HeldEntry, used: number): number {
    if (!this.#held.has(entry)) return 0
    if (this.#rule !== 'growth') return entry.outstanding
    let left = this.outstanding(used)
    const newestFirst = [...this.#held].reverse()
    for (const e of newestFirst) {
      const share = Math.min(e.bytes, left)
      if (e === entry) return share
      left -= share
    }
    return 0
  }

  /** The last raw `used` seen. */
  get lastUsed(): number | undefined {
    return this.#lastUsed
  }

  /** Feeds one raw reading of the source. */
  observe(used: number, afterMajorGc: boolean): void {
    const delta = used - (this.#lastUsed ?? used)
    this.#lastUsed = used
    if (delta > 0) for (const entry of this.#held) if (used > entry.peakUsed) entry.peakUsed = used
    this.#floor ??= used
    if (delta < 0) this.#reclaimed = Math.max(0, this.#reclaimed + delta)
    if (afterMajorGc) this.#reclaimed = 0
    if (this.#rule !== 'hold' && afterMajorGc) {
      const rise = used - this.#floor!
      this.#floor = used
      if (rise > 0) this.#charge(rise)
      if (this.#rule === 'growth') this.#rebase(used)
    }
  }

  /**
   * `growth`, after a major GC: the garbage that was part of the reading when a reservation was
   * granted is gone, so its projection need not keep room for it. Each projection is capped at
   * the live heap plus what the live reservations up to it have not yet been seen to allocate
   * (their outstanding bytes, charged by rises of the post-GC heap as under `floor`).
   */
  #rebase(used: number): void {
    let stack = used
    for (const entry of this.#held) {
      stack += entry.outstanding
      if (entry.projected > stack) entry.projected = stack
    }
  }

  /** Adds a granted entry; under `growth` its projection is the effective reading at grant plus its bytes. */
  // (Its outstanding bytes, its own bytes at first, only cap the projection after major GCs.)
  add(entry: HeldEntry, used: number): void {
    entry.projected = this.effective(used) + entry.bytes
    this.#held.add(entry)
    this.#heldBytes += entry.bytes
    this.#outstanding += entry.outstanding
  }

  /** Takes an entry out (released or expired); it counts nothing from now on. */
  remove(entry: HeldEntry): void {
    if (!this.#held.delete(entry)) return
    this.#heldBytes -= entry.bytes
    this.#outstanding -= entry.outstanding
    entry.outstanding = 0
    // Float drift must never leave a ledger with nothing held counting a few bytes.
    if (this.#held.size === 0) this.#outstanding = this.#heldBytes = 0
  }

  /** Stops counting everything (the controller closed). */
  clear(): void {
    for (const entry of this.#held) entry.outstanding = 0
    this.#held.clear()
    this.#outstanding = this.#heldBytes = this.#reclaimed = 0
  }

  /**
   * Counts bytes caches gave back for a reservation: taken off the source's reading until a GC
   * collects them, and off the live projections for good (the caches hold that room down).
   */
  credit(bytes: number): void {
    this.#reclaimed += bytes
    for (const entry of this.#held) entry.projected -= bytes
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

  /** `floor`: charges a rise of the post-GC heap to the oldest reservations first (the oldest work has most likely allocated). */
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
