/** What a subsystem that runs full GCs reads and feeds: see `GcTimings`. */
export interface FullGcTimings {
  /** The pause a full GC of `bytes` is expected to take (ms). */
  predict(bytes: number): number
  /** Records one full collection of `bytes` that took `ms`. */
  record(ms: number, bytes: number): void
}

/**
 * How long one full, non-incremental mark-compact takes here, per byte of old generation: learnt
 * from the collections that show it whole (a mark-compact with no incremental marking before it,
 * whose pause is all its work, and the full GCs heapguard itself requests), so that a GC
 * heapguard would run can be skipped when it is expected to pause too long.
 *
 * Until one has been seen, a mark-compact is assumed to take 0.5 ms per MiB: measured on this
 * project's 2-core machines, V8's non-incremental mark-compacts took 0.4–0.7 ms per MiB of old
 * generation on a quiet machine, and up to 3–5 ms per MiB with both cores busy (learnt then).
 */
export class GcTimings implements FullGcTimings {
  /** The newest rates (ms per byte), at most `KEPT`. */
  readonly #rates: number[] = []

  /** Records one full collection of `bytes` of old generation that took `ms`. */
  record(ms: number, bytes: number): void {
    if (!(ms >= 0) || !(bytes > MIN_BYTES) || !Number.isFinite(ms)) return
    this.#rates.push(ms / bytes)
    if (this.#rates.length > KEPT) this.#rates.shift()
  }

  /** The pause a full GC of `bytes` is expected to take (ms): the slowest recent rate, or 0.5 ms/MiB. */
  predict(bytes: number): number {
    let rate = 0
    for (const r of this.#rates) if (r > rate) rate = r
    return bytes * (rate > 0 ? rate : DEFAULT_MS_PER_BYTE)
  }
}

const KEPT = 8
const DEFAULT_MS_PER_BYTE = 0.5 / (1024 * 1024)
/** A collection of a nearly empty heap says nothing about the rate (fixed costs dominate). */
const MIN_BYTES = 4 * 1024 * 1024
