import type { GcTimings } from '../readings/gc-timings.js'
import type { Level } from '../levels.js'
import type { GcEntry, GcInfo, SourceFloor } from '../types.js'

/**
 * V8 gives up with "Ineffective mark-compacts near heap limit" after 4 consecutive
 * mark-compacts that each leave the old generation at 80 % or more of its maximum while the
 * mutator (the program) got less than 40 % of the time (V8 heap.cc, `CheckIneffectiveMarkCompact`).
 * That is below the default `critical` ratio (0.85), so the ratio alone can arrive too late.
 *
 * Cheap actions first. The `critical` rule, looser than V8's, holds from the first mark-compact
 * that meets it: `critical` is where caches give memory back (the JVM clears its soft references
 * before it declares the heap exhausted). `emergency` refuses all but critical work, so it needs
 * more than one reading of a count that can only err high (see `GcEffort` for the two counts):
 * - V8's rule met on the pauses alone (certain: V8 counts at least that much): one such
 *   mark-compact once the cheap actions had their effect (the level at `critical` or above, no
 *   cache still trimming: see `GcEffort.arm`), two in a row otherwise;
 * - "busy" mark-compacts, V8's rule met from the start of marking with the pauses themselves
 *   over `BUSY_PAUSES`: two in a row once the cheap actions had their effect;
 * - V8's rule met from the start of marking, whatever the pauses: `HEAVY_IN_A_ROW` in a row,
 *   whatever the level. Counted so, every mark-compact V8 counts as ineffective counts here too,
 *   so this says `emergency` at V8's third in a row at the latest, one before it can give up.
 * The ratio, which reads the heap V8 counts, says `emergency` for the rest. A process whose heap
 * the cheap actions bring under 80 %, or whose collector keeps up, never sees `emergency` from effort.
 */
export const GC_EFFORT_RULES: readonly GcEffortRule[] = Object.freeze([
  { level: 'emergency', share: 0.8, utilization: 0.4 },
  { level: 'critical', share: 0.7, utilization: 0.6 },
])

/**
 * A floor of `level` when a mark-compact left the old generation at least `share` full with the
 * mutator utilization below `utilization` (for `emergency`, see above for when).
 */
export interface GcEffortRule {
  level: Level
  share: number
  utilization: number
}

/**
 * Where the two counts of the pauses disagree (see `GcEffort`): a mark-compact is "busy" when
 * the count from the start of marking meets V8's rule and the pauses alone take more than this
 * share of the time, i.e. the collector does much of its work on the program's thread, not
 * beside it. Measured: dying processes (small objects, bursty garbage, a loaded machine) showed
 * pauses of 40–55 % before V8 gave up; a server that trimming saves (the high tide) 6–30 %, with
 * a lone mark-compact at 50 % now and then.
 */
const BUSY_PAUSES = 0.4
/** Busy mark-compacts in a row that bring `emergency` once the cheap actions had their effect. */
const BUSY_ARMED = 2
/**
 * Mark-compacts in a row that meet V8's rule counted from the start of marking and bring
 * `emergency` whatever the level: one fewer than V8's 4 (`kMaxConsecutiveIneffectiveMarkCompacts`).
 * Measured: dying processes whose marking runs on the main thread (small objects, bursty garbage)
 * met it 3 to 30 times in a row before V8 gave up, with their pauses at 10–50 % of the time; a
 * server that trimming saves (the high tide) at most twice in a row (an export held across two
 * mark-compacts), its old generation back under 80 % at the next.
 */
const HEAVY_IN_A_ROW = 3
/** Mark-compacts in a row that meet V8's rule on the pauses alone and bring `emergency` whatever the level. */
const CERTAIN_UNARMED = 2

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
  /** Averages of the collecting time counted from the start of marking (see above). */
  #averageGc = 0
  #averageMutator = 0
  /** The same averages with only the atomic pauses counted as collecting. */
  #averagePause = 0
  #averageBetweenPauses = 0
  /** The last mark-compact's figures, for `reason`. */
  #utilization = 1
  #pauseUtilization = 1
  #share = 0
  /** The end of the newest entry seen (entry timeline). */
  #seenUntil = -Infinity
  /** Set by `arm`: mark-compacts that begin after this point (entry timeline) may call for `emergency`. */
  #armedAfter: number | null = null
  /** The pause of the last mark-compact when it was not incremental (all its work), else null. */
  #fullPause: number | null = null
  /** Mark-compacts in a row that met V8's rule on the pauses alone (certain), that were busy (see `BUSY_PAUSES`), and that met it from the start of marking (heavy). */
  #certainInARow = 0
  #busyInARow = 0
  #heavyInARow = 0
  readonly #timings: GcTimings | undefined

  /** `timings` learns from mark-compacts that ran whole in their pause. */
  constructor(timings?: GcTimings) {
    this.#timings = timings
  }

  /**
   * Whether the cheap actions are in effect now (the level at `critical` or above, no cache still
   * trimming). From the first call with true, mark-compacts that begin after every entry seen so
   * far can raise `emergency`; false disarms.
   */
  arm(active: boolean): void {
    if (!active) this.#armedAfter = null
    else this.#armedAfter ??= this.#seenUntil
  }

  /** The mutator utilization after the last mark-compact (1 before there is one). */
  get utilization(): number {
    return this.#utilization
  }

  /** Feeds one notification; returns the floor it calls for, or undefined. */
  observe(info: GcInfo | null | undefined): SourceFloor | undefined {
    const entries = info?.entries
    if (!Array.isArray(entries)) return undefined
    /** When the last mark-compact of the notification began (its marking, else its pause), or null. */
    let began: number | null = null
    for (const entry of entries as readonly (GcEntry | null)[]) {
      if (entry === null) continue
      const start = this.#entry(entry)
      if (start !== null) began = start
    }
    if (began === null) return undefined
    const old = info!.oldGeneration
    if (old === undefined || !(old.limit > 0) || !Number.isFinite(old.used)) return undefined
    if (this.#fullPause !== null) this.#timings?.record(this.#fullPause, old.used)
    this.#share = old.used / old.limit
    const [emergency, critical] = GC_EFFORT_RULES as [GcEffortRule, GcEffortRule]
    // The early count never reads less effort than the pauses: certain ⊂ busy ⊂ heavy.
    const heavy = this.#share >= emergency.share && this.#utilization < emergency.utilization
    const certain = heavy && this.#pauseUtilization < emergency.utilization
    const busy = heavy && 1 - this.#pauseUtilization > BUSY_PAUSES
    this.#certainInARow = certain ? this.#certainInARow + 1 : 0
    this.#busyInARow = busy ? this.#busyInARow + 1 : 0
    this.#heavyInARow = heavy ? this.#heavyInARow + 1 : 0
    const armed = this.#armedAfter !== null && began > this.#armedAfter
    const afterCheapActions = armed && (certain || this.#busyInARow >= BUSY_ARMED)
    const inARow = this.#heavyInARow >= HEAVY_IN_A_ROW || this.#certainInARow >= CERTAIN_UNARMED
    if (afterCheapActions || inARow) {
      const why = afterCheapActions
        ? 'after the caches gave back at critical'
        : `${this.#heavyInARow} mark-compacts in a row`
      return { level: 'emergency', signal: 'gc', reason: `${this.#reason('emergency')}, ${why}` }
    }
    if (this.#meets(critical)) return { level: 'critical', signal: 'gc', reason: this.#reason() }
    return undefined
  }

  /** `critical` is judged on the utilization counted from the start of marking (never above V8's): all it does is ask the caches to give back. */
  #meets(rule: GcEffortRule): boolean {
    return this.#share >= rule.share && this.#utilization < rule.utilization
  }

  /**
   * Takes in the collections of a full GC heapguard requested (a live check): they end the
   * mutator's interval like any mark-compact but say nothing of its effort, so they update no
   * utilization and raise no floor.
   */
  skip(info: GcInfo | null | undefined): void {
    const entries = info?.entries
    if (!Array.isArray(entries)) return
    for (const entry of entries as readonly (GcEntry | null)[]) {
      if (entry === null || !Number.isFinite(entry.start) || !Number.isFinite(entry.duration)) continue
      const end = entry.start + entry.duration
      if (end > this.#seenUntil) this.#seenUntil = end
      if (entry.kind === 'major') {
        this.#lastEnd = end
        this.#markingSince = null
      }
    }
  }

  /** Returns when the mark-compact began (its marking, else its pause) once it updated the utilization; null otherwise. */
  #entry(entry: GcEntry): number | null {
    const { kind, start, duration } = entry
    if (!Number.isFinite(start) || !Number.isFinite(duration) || duration < 0) return null
    if (start + duration > this.#seenUntil) this.#seenUntil = start + duration
    if (kind === 'incremental') {
      this.#markingSince ??= start
      return null
    }
    if (kind !== 'major') return null
    const end = start + duration
    const began = Math.min(start, this.#markingSince ?? start)
    this.#fullPause = this.#markingSince === null ? duration : null
    const collecting = end - began
    this.#markingSince = null
    const last = this.#lastEnd
    this.#lastEnd = end
    // The first mark-compact has no "since the previous one": it only starts the clock.
    if (last === null || end <= last) return null
    const wall = end - last
    const gc = Math.min(collecting, wall)
    const pause = Math.min(duration, wall)
    const first = this.#averageGc === 0 && this.#averageMutator === 0
    this.#averageGc = first ? gc : (this.#averageGc + gc) / 2
    this.#averageMutator = first ? wall - gc : (this.#averageMutator + wall - gc) / 2
    this.#averagePause = first ? pause : (this.#averagePause + pause) / 2
    this.#averageBetweenPauses = first ? wall - pause : (this.#averageBetweenPauses + wall - pause) / 2
    this.#utilization = share(this.#averageMutator, this.#averageGc)
    this.#pauseUtilization = share(this.#averageBetweenPauses, this.#averagePause)
    return began
  }

  #reason(level: Level = 'critical'): string {
    const pct = (x: number) => `${Math.round(x * 100)} %`
    const pauses = level === 'emergency' ? ` (its pauses ${pct(1 - this.#pauseUtilization)})` : ''
    const busy = `takes ${pct(1 - this.#utilization)}${pauses}`
    return `garbage collection ${busy} of the time with the old generation ${pct(this.#share)} full`
  }
}

/** The mutator's share of the time, 1 when no time passed. */
function share(mutator: number, collecting: number): number {
  const total = mutator + collecting
  return total > 0 ? mutator / total : 1
}
