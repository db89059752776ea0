import type { LatestReadings, Readings } from './latest-readings.js'
import type { Level } from './levels.js'
import type { SubsystemHooks } from './subsystem-hooks.js'
import type { LevelChange, Logger } from './types.js'

/**
 * What the controller shares with its subsystems (caches, shedding, flags, tasks, limits).
 *
 * Two kinds of level subscription:
 * - `onLevelChange`: state that follows the level (cache sizes, admission, flags, task pauses).
 *   Runs at the very moment the effective level changes, inside the `sample()`/`force()`/
 *   `release()` that changed it, even when that call comes from a listener, so code right after
 *   `force()` sees the new level everywhere. It may run nested (a flag listener that calls
 *   `force()`), so it must bring its state in line with `core.level` rather than trust `change.to`.
 * - `onLevelEvent`: reactions to a transition (level hooks). Delivered with the `'level'` event,
 *   in the order the changes happened and just before user `'level'` listeners, each `from`
 *   equal to the previous `to`.
 */
export interface ControllerCore {
  readonly level: Level
  /** The level an operator forced, or null. */
  readonly forced: Level | null
  readonly closed: boolean
  readonly logger: Logger
  now(): number
  /** Reports a failure on `'error'` (or to the logger); never throws. */
  readonly report: (error: unknown) => void
  /** Called at the moment the effective level changes; returns the unsubscribe function. */
  onLevelChange(fn: (change: LevelChange) => void): () => void
  /** Called for every change in delivery order, before user `'level'` listeners; returns the unsubscribe function. */
  onLevelEvent(fn: (change: LevelChange) => void): () => void
  /** Called once by `close()`, in registration order. */
  onClose(fn: () => void): void
  /** The sources between samples: read one now, adjust readings, run the level logic at once (reservations). */
  readonly readings: Readings
}

/** The core a controller hands its subsystems: live `level` and `closed`, and its hooks. */
export function makeCore(
  state: { readonly level: Level; readonly forced: Level | null; readonly closed: boolean },
  hooks: SubsystemHooks,
  latest: LatestReadings,
  fields: { logger: Logger; now: () => number; report: (error: unknown) => void; regrade: () => void },
): ControllerCore {
  const { regrade, ...shared } = fields
  const readings: Readings = {
    sources: latest.sources,
    read: (name) => latest.read(name),
    adjust: (fn) => latest.setAdjust(fn),
    regrade,
  }
  return {
    get level() {
      return state.level
    },
    get forced() {
      return state.forced
    },
    get closed() {
      return state.closed
    },
    ...shared,
    readings,
    onLevelChange: (fn) => hooks.onLevelChange(fn),
    onLevelEvent: (fn) => hooks.onLevelEvent(fn),
    onClose: (fn) => hooks.onClose(fn),
  }
}
