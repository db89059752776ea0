import type { LatestReadings, Readings } from './readings/latest-readings.js'
import type { Level } from './levels.js'
import type { LevelBus } from './delivery/level-bus.js'
import type { LevelChange, Logger, Sample } from './types.js'
import type { FullGcTimings } from './readings/gc-timings.js'

/**
 * What the controller shares with its subsystems (caches, shedding, flags, tasks, limits, leaks).
 *
 * `level` is the APPLIED level: the effective level in enforce mode, `normal` in observe mode.
 * Subsystems enforce it; they never read the controller's own `level`. When and in what order
 * the hooks below run: `delivery/level-bus.ts`. In short, `onLevelChange` hooks bring state in
 * line at once, inside the call that changed the level, and may run nested (so they read
 * `core.level`, not `change.to`); `onLevelEvent` hooks hear each change in order, just before the
 * user's `'level'` listeners.
 */
export interface ControllerCore {
  /** The applied level. */
  readonly level: Level
  /** The level an operator forced, or null (always null in observe mode, which applies nothing). */
  readonly forced: Level | null
  /** True in observe mode: subsystems measure and log what they would do, and change nothing. */
  readonly observing: boolean
  readonly closed: boolean
  readonly logger: Logger
  now(): number
  /** Reports a failure on `'error'` (or to the logger); never throws. */
  readonly report: (error: unknown) => void
  /** Called at the moment the effective level changes; returns the unsubscribe function. */
  onLevelChange(fn: (change: LevelChange) => void): () => void
  /** Called for every change in delivery order, before user `'level'` listeners; returns the unsubscribe function. */
  onLevelEvent(fn: (change: LevelChange) => void): () => void
  /** Called after every sample, once the level is settled (time-driven state: cache regrowth); returns the unsubscribe function. */
  onSample(fn: (sample: Sample) => void): () => void
  /**
   * Observe mode: called for each change of the effective level, which is not applied; returns
   * what the subsystem would do, one sentence per action (`cache "users" would shrink …`), for the log.
   */
  onPreview(fn: (change: LevelChange) => readonly string[]): () => void
  /**
   * A probe that says whether the subsystem is still carrying out a level change (a cache
   * trimming in slices): GC effort waits for the cheap actions to have had their effect before
   * it calls for `emergency`. Returns the unsubscribe function.
   */
  onSettling(probe: () => boolean): () => void
  /** Called once by `close()`, in registration order. */
  onClose(fn: () => void): void
  /** The sources between samples: read one now, adjust readings, run the level logic at once (reservations). */
  readonly readings: Readings
  /**
   * How long a full GC takes in this process, one account for every full GC heapguard runs (the
   * live check, a leak window's checkpoints): `predict(bytes)` before one, `record(ms, bytes)` after.
   */
  readonly fullGcs: FullGcTimings
}

/** The core a controller hands its subsystems: the live applied level and `closed`, and its hooks. */
export function makeCore(
  controller: { readonly closed: boolean; readonly forced: Level | null },
  bus: LevelBus,
  latest: LatestReadings,
  fields: {
    logger: Logger
    now: () => number
    report: (error: unknown) => void
    regrade: () => void
    fullGcs: FullGcTimings
  },
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
      return bus.applied
    },
    get forced() {
      // Observe mode applies nothing, a forced level included.
      return bus.observing ? null : controller.forced
    },
    get closed() {
      return controller.closed
    },
    get observing() {
      return bus.observing
    },
    ...shared,
    readings,
    onLevelChange: (fn) => bus.onLevelChange(fn),
    onLevelEvent: (fn) => bus.onLevelEvent(fn),
    onSample: (fn) => bus.onSample(fn),
    onPreview: (fn) => bus.onPreview(fn),
    onSettling: (probe) => bus.onSettling(probe),
    onClose: (fn) => bus.onClose(fn),
  }
}
