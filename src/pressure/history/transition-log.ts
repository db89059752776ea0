import { causeLabel } from '../level/level-cause.js'
import { LEVELS, type Level } from '../levels.js'
import { RingBuffer } from './ring-buffer.js'
import type { LevelChange } from '../types.js'

/** The last 100 changes of the effective level, and how many went to each level since the start. */
export class TransitionLog {
  readonly #recent = new RingBuffer<LevelChange>(100)
  readonly #counts: Record<Level, number> = { normal: 0, warning: 0, critical: 0, emergency: 0 }
  readonly #byCause = Object.fromEntries(LEVELS.map((level) => [level, {}])) as Record<Level, Record<string, number>>

  record(change: LevelChange): void {
    this.#recent.push(change)
    this.#counts[change.to]++
    const causes = this.#byCause[change.to]
    const label = causeLabel(change.cause)
    causes[label] = (causes[label] ?? 0) + 1
  }

  /** Oldest first. */
  recent(): LevelChange[] {
    return this.#recent.toArray()
  }

  counts(): Record<Level, number> {
    return { ...this.#counts }
  }

  /** By level, then by cause (`ratio`, `recovery`, `forced`, `released`, `expired`, or a floor's signal). */
  countsByCause(): Record<Level, Record<string, number>> {
    const copy = {} as Record<Level, Record<string, number>>
    for (const level of LEVELS) copy[level] = { ...this.#byCause[level] }
    return copy
  }
}
