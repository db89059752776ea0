import type { Level } from '../levels.js'
import type { GcEntry, GcInfo, SourceFloor } from '../types.js'

/**
 * V8 gives up with "Ineffective mark-compacts near heap limit" after 4 consecutive
 * mark-compacts that each leave the old generation at 80 % or more of its maximum while the
 * mutator (the program) got less than 40 % of the time (V8 heap.cc, `CheckIneffectiveMarkCompact`).
 * That is below the default `critical` ratio (0.85), so the ratio alone can arrive too late.
 *
 * The floors below sit inside V8's rule, with margins on both figures, so that they hold from
 * the first mark-compact V8 counts, three collections before it can abort. Neither can hold in
 * a process whose garbage collector keeps up: that takes both a nearly full old generation
 * and the collector taking most of the time.
 */
export const GC_EFFORT_RULES: readonly GcEffortRule[] = Object.freeze([
  { level: 'emergency', share: 0.75, utilization: 0.5 },
  { level: 'critical', share: 0.7, utilization: 0.6 },
])

/** A floor of `level` when the old generation is at least `share` full and the mutator utilization below `utilization`. */
export interface GcEffortRule {
  level: Level
  share: number
  utilization: number
}

/**
 * Mutator utilization from the GC seam's entries, as V8 computes it for its own rule: for each
 * mark-compact, the time spent collecting against the wall time since the previous one ended,
 * both averaged over mark-compacts with weight 1/2 for the newest (V8's `GCTracer`).
 *
 * V8 counts the atomic pause and the incremental marking steps on the main thread. Entries
 * show only the pause, and the moment incremental marking started; the steps run inside
 * allocations, invisible from JavaScript. So the collecting time counted here runs from the
 * start of marking to the end of the pause: it includes every step (and the mutator time
 * between them), so it is never less than V8's, and the utilization never more. Scavenges are
 * not counted, as in V8.
 */
export class GcEffort {
  /** When the previous mark-compact ended (entry timeline); null before the first. */
  #lastEnd: number | null = null
  /** When incremental marking began for the coming mark-compact; null when it has not. */
  #markingSince: number | null = null
  #averageGc = 0
  #averageMutator = 0
  /** The last mark-compact's figures, for `reason`. */
  #utilization = 1
  #share = 0

  /** The mutator utilization after the last mark-compact (1 before there is one). */
  get utilization(): number {
    return this.#utilization
  }

  /** Feeds one notification; returns the floor it calls for, or undefined. */
  observe(info: GcInfo | null | undefined): SourceFloor | undefined {
    const entries = info?.entries
    if (!Array.isArray(entries)) return undefined
    let major = false
    for (const entry of entries as readonly (GcEntry | null)[]) if (entry !== null && this.#entry(entry)) major = true
    if (!major) return undefined
    const old = info!.oldGeneration
    if (old === undefined || !(old.limit > 0) || !Number.isFinite(old.used)) return undefined
    this.#share = old.used / old.limit
    for (const rule of GC_EFFORT_RULES) {
      if (this.#share >= rule.share && this.#utilization < rule.utilization) {
        return { level: rule.level, signal: 'gc', reason: this.#reason() }
      }
    }
    return undefined
  }

  /** True when the entry is a mark-compact (the utilization was updated). */
  #entry(entry: GcEntry): boolean {
    const { kind, start, duration } = entry
    if (!Number.isFinite(start) || !Number.isFinite(duration) || duration < 0) return false
    if (kind === 'incremental') {
      this.#markingSince ??= start
      return false
    }
    if (kind !== 'major') return false
    const end = start + duration
    const collecting = end - Math.min(start, this.#markingSince ?? start)
    this.#markingSince = null
    const last = this.#lastEnd
    this.#lastEnd = end
    // The first mark-compact has no "since the previous one": it only starts the clock.
    if (last === null || end <= last) return false
    const wall = end - last
    const gc = Math.min(collecting, wall)
    if (this.#averageGc === 0 && this.#averageMutator === 0) {
      this.#averageGc = gc
      this.#averageMutator = wall - gc
    } else {
      this.#averageGc = (this.#averageGc + gc) / 2
      this.#averageMutator = (this.#averageMutator + wall - gc) / 2
    }
    const total = this.#averageGc + this.#averageMutator
    this.#utilization = total > 0 ? this.#averageMutator / total : 1
    return true
  }

  #reason(): string {
    const pct = (x: number) => `${Math.round(x * 100)} %`
    return `garbage collection takes ${pct(1 - this.#utilization)} of the time with the old generation ${pct(this.#share)} full`
  }
}
