import { levelRank, type Level } from '../levels.js'
import type { Floor, SourceFloor } from '../types.js'

/**
 * The floors that hold now: levels that signals other than the ratio call for (GC effort,
 * cgroup `memory.events`, pressure stall information). A floor holds for `recoveryMs` (the
 * controller's `recoveryMs`) after it was last raised; the measured level is never below the
 * highest floor that holds, and once it lapses the level steps down by the usual staged rules.
 */
export class Floors {
  readonly #tuning: { readonly recoveryMs: number }
  /** By `from`, signal and level. */
  readonly #held = new Map<string, Floor>()
  /** The highest floor held, its level, and until when nothing needs recomputing (the hot path reads these). */
  #top: Floor | undefined
  #level: Level = 'normal'
  #validUntil = Infinity

  constructor(tuning: { readonly recoveryMs: number }) {
    this.#tuning = tuning
  }

  /**
   * Raises (or refreshes) a floor at `at`. Each level of each signal holds on its own, so a
   * `critical` raised once still lapses on time while the same signal keeps raising `warning`.
   * Returns true when the floor is new (or had lapsed), so that the caller says so once, not at
   * every refresh.
   */
  raise(from: string, floor: SourceFloor, at: number): boolean {
    if (floor.level === 'normal') return false
    const key = `${from}\0${floor.signal}\0${floor.level}`
    const before = this.#held.get(key)
    this.#held.set(key, { ...floor, from, at, until: at + this.#tuning.recoveryMs })
    this.#recompute(at)
    return before === undefined || before.until < at
  }

  /** The highest level held at `at` ('normal' when none). */
  level(at: number): Level {
    if (at > this.#validUntil) this.#recompute(at)
    return this.#level
  }

  /** The floor that sets `level(at)`: the highest held, the newest of that level; undefined when none holds. */
  top(at: number): Floor | undefined {
    if (at > this.#validUntil) this.#recompute(at)
    return this.#top
  }

  /** The floors that hold at `at`, highest first. */
  active(at: number): Floor[] {
    return [...this.#held.values()]
      .filter((f) => f.until >= at && f.level !== 'normal')
      .sort((a, b) => levelRank(b.level) - levelRank(a.level))
  }

  #recompute(at: number): void {
    let top: Floor | undefined
    let validUntil = Infinity
    for (const [key, floor] of this.#held) {
      if (floor.until < at) {
        this.#held.delete(key)
        continue
      }
      const rank = levelRank(floor.level) - (top === undefined ? 0 : levelRank(top.level))
      if (top === undefined || rank > 0 || (rank === 0 && floor.at > top.at)) top = floor
      if (floor.until < validUntil) validUntil = floor.until
    }
    this.#top = top
    this.#level = top?.level ?? 'normal'
    this.#validUntil = validUntil
  }
}
