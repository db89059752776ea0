/**
 * The room a cache gave back to reservations and may not refill while they hold it. When the
 * first claim comes, the cache's base is what it held before giving (bounded later by its level
 * capacity); each claim adds the entries (and bytes) it took. While any is held, the cache may
 * hold at most `base − held` (at least 1 entry, so a claim never disables a cache: only a
 * multiplier of 0 does). When the last claim is released, the level's capacity applies alone.
 */
export class HeldRoom {
  #claims = 0
  #entries = 0
  #bytes = 0
  #baseEntries = 0
  #baseBytes = 0

  /** A claim of `entries` (and `bytes`), taken from a cache that now holds `size` entries and `calculatedSize` bytes. */
  add(entries: number, bytes: number, size: number, calculatedSize: number): void {
    if (this.#claims === 0) {
      this.#baseEntries = size + entries
      this.#baseBytes = calculatedSize + bytes
    }
    this.#claims++
    this.#entries += entries
    this.#bytes += bytes
  }

  remove(entries: number, bytes: number): void {
    if (this.#claims === 0) return
    if (--this.#claims === 0) {
      this.#entries = this.#bytes = 0
      return
    }
    this.#entries -= entries
    this.#bytes -= bytes
  }

  /** The entry capacity, given the level's. */
  entryCapacity(level: number): number {
    if (this.#claims === 0 || level === 0) return level
    return Math.min(level, Math.max(1, this.#baseEntries - this.#entries))
  }

  /** The byte capacity, given the level's. */
  byteCapacity(level: number): number {
    if (this.#claims === 0 || level === 0) return level
    return Math.min(level, Math.max(1, this.#baseBytes - this.#bytes))
  }
}
