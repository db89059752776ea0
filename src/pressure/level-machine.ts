import { LEVELS, levelRank, type Level } from './levels.js'
import type { Tuning } from './tuning.js'

/**
 * The measured level as a step function of (ratio, time).
 *
 * - Escalation is immediate and may skip levels.
 * - De-escalation goes one level at a time, after the ratio has stayed below
 *   `threshold(level) - hysteresis` (the exit line) for `recoveryMs`. The dwell clock restarts
 *   at every transition, and a sample at or above the exit line resets it.
 * - A floor (see signals/floors.ts) is a level reached whatever the ratio: it escalates like a
 *   ratio would, and while it holds at or above the current level it counts as a sample above
 *   the exit line. Once it lapses, recovery follows the same staged rules.
 *
 * The rules are read from `tuning` at every step, so `configure()` takes effect at the next sample.
 */
export class LevelMachine {
  #level: Level = 'normal'
  /** When the ratio first went (and stayed) below the current level's exit line; null if not. */
  #belowSince: number | null = null
  readonly #tuning: Pick<Tuning, 'thresholds' | 'hysteresis' | 'recoveryMs'>

  constructor(tuning: Pick<Tuning, 'thresholds' | 'hysteresis' | 'recoveryMs'>) {
    this.#tuning = tuning
  }

  get level(): Level {
    return this.#level
  }

  /** The level a ratio reaches on the way up: the highest whose threshold it meets. */
  levelFor(ratio: number): Level {
    const t = this.#tuning.thresholds
    if (ratio >= t.emergency) return 'emergency'
    if (ratio >= t.critical) return 'critical'
    if (ratio >= t.warning) return 'warning'
    return 'normal'
  }

  /** The ratio below which the current level may start to recover. */
  exitLine(level: Level = this.#level): number {
    return level === 'normal' ? -Infinity : this.#tuning.thresholds[level] - this.#tuning.hysteresis
  }

  /** Feeds one ratio observed at `now`, with the floor that holds then; returns the level afterwards. */
  step(ratio: number, now: number, floor: Level = 'normal'): Level {
    const byRatio = this.levelFor(ratio)
    const reached = levelRank(floor) > levelRank(byRatio) ? floor : byRatio
    if (levelRank(reached) > levelRank(this.#level)) {
      this.#level = reached
      this.#belowSince = null
      return this.#level
    }
    if (this.#level === 'normal') return this.#level
    if (ratio >= this.exitLine() || levelRank(floor) >= levelRank(this.#level)) {
      this.#belowSince = null
      return this.#level
    }
    this.#belowSince ??= now
    if (now - this.#belowSince >= this.#tuning.recoveryMs) {
      this.#level = LEVELS[levelRank(this.#level) - 1]!
      // The next step down needs its own dwell, counted from this transition, and only if the
      // ratio is already below the new level's exit line.
      this.#belowSince = ratio < this.exitLine() && levelRank(floor) < levelRank(this.#level) ? now : null
    }
    return this.#level
  }
}
