import type { Level } from './levels.js'
import { RingBuffer } from './ring-buffer.js'
import type { LevelChange, Logger } from './types.js'

/** The last 100 changes of the effective level, and how many went to each level since the start. */
export class TransitionLog {
  readonly #recent = new RingBuffer<LevelChange>(100)
  readonly #counts: Record<Level, number> = { normal: 0, warning: 0, critical: 0, emergency: 0 }

  record(change: LevelChange): void {
    this.#recent.push(change)
    this.#counts[change.to]++
  }

  /** Oldest first. */
  recent(): LevelChange[] {
    return this.#recent.toArray()
  }

  counts(): Record<Level, number> {
    return { ...this.#counts }
  }
}

/** Logs a level change at `info`: `heapguard: memory pressure normal -> warning: heap 0.712 reached warning (0.7)`. */
export function logChange(logger: Logger, { from, to, reason }: LevelChange): void {
  if (logger.info === undefined) return
  try {
    logger.info(`heapguard: memory pressure ${from} -> ${to}: ${reason}`)
  } catch {
    // a broken logger must not stop the level change
  }
}
