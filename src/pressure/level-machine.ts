import { LEVELS, levelRank, type Level } from './levels.js'
import type { Tuning } from './tuning.js'

/**
 * The measured level as a step function of (ratio, time).
 *
 * - Escalation is immediate and may skip levels.
 * - De-escalation goes one level at a time, after the ratio has stayed below
 *   `threshold(level) - hysteresis` (the exit line) for `recoveryMs`. The dwell clock restarts
 *   at every transition, and a sample at or above the exit line resets it.
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

  /** Feeds one ratio observed at `now`; returns the level afterwards. */
  step(ratio: number, now: number): Level {
    const reached = this.levelFor(ratio)
    if (levelRank(reached) > levelRank(this.#level)) {
      this.#level = reached
      this.#belowSince = null
      return this.#level
    }
    if (this.#level === 'normal') return this.#level
    if (ratio >= this.exitLine()) {
      this.#belowSince = null
      return this.#level
    }
    this.#belowSince ??= now
    if (now - this.#belowSince >= this.#tuning.recoveryMs) {
      this.#level = LEVELS[levelRank(this.#level) - 1]!
      // The next step down needs its own dwell, counted from this transition, and only if the
      // ratio is already below the new level's exit line.
      this.#belowSince = ratio < this.exitLine() ? now : null
    }
    return this.#level
  }
}
