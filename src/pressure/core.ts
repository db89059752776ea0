import type { Level } from './levels.js'
import type { LevelChange, Logger } from './types.js'

/**
 * What the controller shares with its subsystems (caches, shedding, flags, tasks, limits).
 * Level hooks run synchronously inside the `sample()`/`force()`/`release()` that changed the
 * level, before any user `'level'` listener, so user code already sees caches resized and flags
 * switched.
 */
export interface ControllerCore {
  readonly level: Level
  readonly closed: boolean
  readonly logger: Logger
  now(): number
  /** Reports a failure on `'error'` (or to the logger); never throws. */
  report(error: unknown): void
  /** Called on every change of the effective level; returns the unsubscribe function. */
  onLevelChange(fn: (change: LevelChange) => void): () => void
  /** Called once by `close()`, in registration order. */
  onClose(fn: () => void): void
}
