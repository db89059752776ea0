import type { LevelInputs } from '../readings/latest-readings.js'
import { LEVELS, levelRank, type Level, type ThresholdLevel } from '../levels.js'
import type { Tuning } from './tuning.js'
import type { Floor, LevelCause } from '../types.js'

/**
 * The measured level as a step function of (readings, time).
 *
 * - Escalation is immediate and may skip levels: the level rises to the highest whose threshold
 *   the ratio meets (the reading now, garbage and all: a crossing must never wait for a GC).
 * - A level is held while the ratio is at or above its threshold (it would be entered again at
 *   once), or while the live ratio (the heap without its garbage, see `LevelInputs`) is at or
 *   above its exit line, `threshold(level) - hysteresis`.
 * - Otherwise it steps down one level once that has lasted `recoveryMs`. The dwell clock
 *   restarts at every transition, and a sample that holds the level resets it. So garbage that
 *   a major GC has shown dead holds a level only while it keeps the ratio at the threshold itself.
 * - A level entered again soon after it was left (less than `recoveryMs` later: a heap whose garbage
 *   swings it across a threshold while what is live stays under it) is then held by the reading at
 *   its exit line too, as before live memory counted, and its dwell doubles per such return, up to
 *   8 × `recoveryMs`: the level settles instead of flapping. The damping is forgotten once the
 *   level stayed away for twice its dwell.
 * - A floor (see floors/floors.ts) is a level reached whatever the ratio: it escalates like a
 *   ratio would, and while it holds at or above the current level it holds the level. Once it
 *   lapses, recovery follows the same staged rules.
 *
 * The rules are read from `tuning` at every step, so `configure()` takes effect at the next sample.
 */
export class LevelMachine {
  #level: Level = 'normal'
  /** When the level stopped being held (see above); null while it is held. */
  #belowSince: number | null = null
  #cause: LevelCause = { kind: 'recovery', source: '', live: 0, line: 0, forMs: 0 }
  /** Per level: when it was last left by a step down, and how many times in a row it came back soon. */
  readonly #leftAt: Partial<Record<Level, number>> = {}
  readonly #returns: Partial<Record<Level, number>> = {}
  readonly #tuning: Pick<Tuning, 'thresholds' | 'hysteresis' | 'recoveryMs'>

  constructor(tuning: Pick<Tuning, 'thresholds' | 'hysteresis' | 'recoveryMs'>) {
    this.#tuning = tuning
  }

  get level(): Level {
    return this.#level
  }

  /** Why the level last changed. */
  get cause(): LevelCause {
    return this.#cause
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

  /** True while the readings (or the floor) hold `level`: it may not start to recover. */
  holds(level: Level, inputs: LevelInputs, floor: Level): boolean {
    if (level === 'normal') return true
    const line = this.exitLine(level)
    return (
      inputs.ratio >= this.#tuning.thresholds[level] ||
      inputs.live >= line ||
      // Once it came back soon after leaving, the garbage has shown it returns: the reading holds too.
      ((this.#returns[level] ?? 0) > 0 && inputs.ratio >= line) ||
      levelRank(floor) >= levelRank(level)
    )
  }

  /** Feeds the readings observed at `now`, with the floor that holds then; returns the level afterwards. */
  step(inputs: LevelInputs, now: number, floor: Floor | undefined): Level {
    const floorLevel = floor?.level ?? 'normal'
    const byRatio = this.levelFor(inputs.ratio)
    const byFloor = levelRank(floorLevel) > levelRank(byRatio)
    const reached = byFloor ? floorLevel : byRatio
    if (levelRank(reached) > levelRank(this.#level)) {
      this.#countReturn(reached, now)
      this.#level = reached
      this.#belowSince = null
      this.#cause = byFloor
        ? { kind: 'floor', from: floor!.from, signal: floor!.signal, level: floor!.level, reason: floor!.reason }
        : {
            kind: 'ratio',
            source: inputs.source,
            ratio: inputs.ratio,
            threshold: this.#tuning.thresholds[reached as ThresholdLevel],
          }
      return this.#level
    }
    if (this.holds(this.#level, inputs, floorLevel)) {
      this.#belowSince = null
      return this.#level
    }
    this.#belowSince ??= now
    const forMs = now - this.#belowSince
    if (forMs >= this.#dwell(this.#level)) {
      const line = this.exitLine()
      this.#leftAt[this.#level] = now
      this.#level = LEVELS[levelRank(this.#level) - 1]!
      this.#cause = { kind: 'recovery', source: inputs.liveSource, live: inputs.live, line, forMs }
      // The next step down needs its own dwell, counted from this transition, and only if the
      // new level is not held already.
      this.#belowSince = this.holds(this.#level, inputs, floorLevel) ? null : now
    }
    return this.#level
  }

  /** How long `level` must go unheld before it steps down: `recoveryMs`, doubled per quick return. */
  #dwell(level: Level): number {
    return this.#tuning.recoveryMs * 2 ** (this.#returns[level] ?? 0)
  }

  /** Counts a return to `level` (and to each level it skips up through) that came soon after it was left. */
  #countReturn(level: Level, now: number): void {
    for (let rank = levelRank(this.#level) + 1; rank <= levelRank(level); rank++) {
      const entered = LEVELS[rank]!
      const left = this.#leftAt[entered]
      if (left === undefined) continue
      const away = now - left
      if (away < this.#tuning.recoveryMs) {
        this.#returns[entered] = Math.min((this.#returns[entered] ?? 0) + 1, MAX_DOUBLINGS)
      } else if (away >= 2 * this.#dwell(entered)) {
        this.#returns[entered] = 0
      }
    }
  }
}

/** The dwell doubles at most this many times (8 × `recoveryMs`). */
const MAX_DOUBLINGS = 3
