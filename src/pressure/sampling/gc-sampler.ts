import type { GcInfo, GcSubscribe } from '../types.js'

/**
 * Turns garbage collections into samples, coalesced: GCs come in bursts (several scavenges a
 * millisecond under allocation), so samples are at least `coalesceMs` apart, and the end of a
 * burst is sampled too, so the state after the last GC is never missed. A major GC anywhere in
 * a coalesced burst marks the sample major (it records a heap floor for the trend).
 * Every notification is shown to `inspect` first (GC effort sees them all, uncoalesced); when it
 * answers true (it raised a floor) the sample is taken at once.
 */
export class GcSampler {
  readonly #coalesceMs: number
  readonly #now: () => number
  readonly #sample: (gc: GcInfo) => void
  readonly #inspect: (gc: GcInfo) => boolean
  #lastAt = -Infinity
  #trail: NodeJS.Timeout | undefined
  #pendingMajor = false
  #closed = false
  #unsubscribe: (() => void) | undefined

  constructor(
    coalesceMs: number,
    now: () => number,
    sample: (gc: GcInfo) => void,
    inspect: (gc: GcInfo) => boolean = () => false,
  ) {
    this.#coalesceMs = coalesceMs
    this.#now = now
    this.#sample = sample
    this.#inspect = inspect
  }

  readonly onGc = (info: GcInfo): void => {
    if (this.#closed) return
    this.#pendingMajor ||= info?.major === true
    const urgent = this.#inspect(info)
    const wait = this.#lastAt + this.#coalesceMs - this.#now()
    if (urgent) {
      clearTimeout(this.#trail)
      this.#trail = undefined
    }
    if (urgent || wait <= 0) {
      this.#fire()
    } else if (this.#trail === undefined) {
      this.#trail = setTimeout(() => {
        this.#trail = undefined
        if (!this.#closed) this.#fire()
      }, wait)
      this.#trail.unref()
    }
  }

  /** Subscribes to garbage collections through `subscribe` (the GC seam). */
  start(subscribe: GcSubscribe): void {
    if (!this.#closed) this.#unsubscribe = subscribe(this.onGc)
  }

  /** Unsubscribes and drops a trailing sample; a failing unsubscribe goes to `report`. */
  close(report: (error: unknown) => void): void {
    this.#closed = true
    clearTimeout(this.#trail)
    this.#trail = undefined
    try {
      this.#unsubscribe?.()
    } catch (error) {
      report(error)
    }
    this.#unsubscribe = undefined
  }

  #fire(): void {
    this.#lastAt = this.#now()
    const major = this.#pendingMajor
    this.#pendingMajor = false
    this.#sample({ major })
  }
}
