import { performance } from 'node:perf_hooks'

/** Work that evicts entries a little at a time. */
export interface TrimJob {
  /** Evicts at most `limit` entries; returns true while there is more to evict. */
  trimSome(limit: number): boolean
  /** Set by the trimmer while the job waits for later slices (a plain field: `set` reads it). */
  scheduled: boolean
}

export interface SliceTrimmerOptions {
  /** Where failures inside a slice go (the controller's `'error'` event). */
  readonly report: (error: unknown) => void
  /** The longest one slice runs before yielding to the event loop, in ms. Default 4. */
  sliceMs?: number
  /** Trims up to this many entries run synchronously, so `size` is right at once. Default 4,096. */
  syncLimit?: number
}

/** Entries evicted between two reads of the clock inside a slice. */
const CHUNK = 256

/**
 * Runs large trims in slices so that evicting a million entries never blocks the event loop for
 * long. One trimmer serves every cache of a registry: a single `setImmediate` turn shares its time
 * budget between all caches that are trimming, so ten caches trimming at once do not block ten
 * times as long. Small trims (≤ `syncLimit` entries) finish synchronously inside `run()`.
 */
export class SliceTrimmer {
  readonly #report: (error: unknown) => void
  readonly #sliceMs: number
  readonly #syncLimit: number
  readonly #jobs = new Set<TrimJob>()
  #immediate: NodeJS.Immediate | undefined
  #closed = false

  constructor(options: SliceTrimmerOptions) {
    this.#report = options.report
    this.#sliceMs = options.sliceMs ?? 4
    this.#syncLimit = options.syncLimit ?? 4096
  }

  /** True while some trim waits for later slices: the caches have not yet given back all a level change asked for. */
  get busy(): boolean {
    return this.#jobs.size > 0
  }

  /** Trims synchronously up to the sync limit, and schedules the rest in slices. */
  run(job: TrimJob): void {
    if (job.scheduled) return // the next slice sees the new capacity
    let more: boolean
    try {
      more = job.trimSome(this.#syncLimit)
    } catch (error) {
      this.#report(error)
      return
    }
    if (!more || this.#closed) return
    job.scheduled = true
    this.#jobs.add(job)
    this.#schedule()
  }

  /** Stops trimming `job` (its cache was unregistered or cleared). */
  cancel(job: TrimJob): void {
    job.scheduled = false
    this.#jobs.delete(job)
    if (this.#jobs.size === 0) this.#unschedule()
  }

  /** Cancels every slice; later `run()` calls only do their synchronous part. */
  close(): void {
    this.#closed = true
    for (const job of this.#jobs) job.scheduled = false
    this.#jobs.clear()
    this.#unschedule()
  }

  /**
   * Not unref'd, on purpose: an unref'd immediate does not keep the loop turning, so in a quiet
   * process one slice would run per wake-up for something else (one per second with a 1 s poll),
   * and a large trim would take minutes. The chain ends by itself when the trim is done, and
   * `cancel()`/`close()` clear it, so it never keeps the process alive beyond the trim.
   */
  #schedule(): void {
    if (this.#immediate !== undefined) return
    this.#immediate = setImmediate(this.#slice)
  }

  #unschedule(): void {
    if (this.#immediate === undefined) return
    clearImmediate(this.#immediate)
    this.#immediate = undefined
  }

  readonly #slice = (): void => {
    this.#immediate = undefined
    const deadline = performance.now() + this.#sliceMs
    // Round-robin in chunks so that every trimming cache makes progress in each slice.
    while (this.#jobs.size > 0 && performance.now() < deadline) {
      for (const job of this.#jobs) {
        let more: boolean
        try {
          more = job.trimSome(CHUNK)
        } catch (error) {
          more = false
          this.#report(error)
        }
        if (!more) {
          job.scheduled = false
          this.#jobs.delete(job)
        }
        if (performance.now() >= deadline) break
      }
    }
    if (this.#jobs.size > 0) this.#schedule()
  }
}
