import type { Level } from './levels.js'

/** One memory figure: what is used against what may be used, in bytes. */
export interface Reading {
  used: number
  limit: number
}

/**
 * Something that can be measured: the V8 heap, resident memory, or anything of yours
 * (a worker's heap, an off-heap pool). Its ratio is `used / limit`.
 */
export interface Source {
  readonly name: string
  /** Reads it now, synchronously. The controller passes its context (a source of yours may ignore it). */
  read(context?: SourceContext): Reading
  /**
   * Optional: the source's slower signals, read on the controller's slow poll (about once per
   * `intervalMs`, before that sample's `read()`): the floors they call for, each held for
   * `recoveryMs` (cgroup `memory.events`, pressure stall information). Nothing or `[]` for none.
   */
  poll?(context: SourceContext): readonly SourceFloor[] | undefined | void
  /** Optional: called once by the controller's `close()`, to release what the source holds open (file descriptors). */
  close?(): void
}

/** What a controller hands its sources: its clock and its error channel. */
export interface SourceContext {
  /** The controller's clock (ms). */
  readonly now: () => number
  /** Reports a failure the source survived (on `'error'`, or to the logger); never throws. */
  readonly report: (error: unknown) => void
  /**
   * How many major GCs the controller has seen (0 before the first, undefined without GC
   * notifications): a source whose reading a collection changes can tell its cycles apart.
   */
  readonly majorGcs?: number
}

/** A level a signal calls for at least, whatever the ratio: the measured level is never below it while it holds. */
export interface SourceFloor {
  level: Level
  /** The signal, e.g. `'memory.events'`, `'psi'`, `'gc'`. */
  signal: string
  /** Why, in a few words (for logs and `pressure.floors()`). */
  reason: string
}

/** A floor that holds now (from `pressure.floors()`). */
export interface Floor extends SourceFloor {
  /** The source that raised it, or `'gc'` for garbage-collection effort. */
  from: string
  /** When it was last raised, and until when it holds (ms, the controller's clock). */
  at: number
  until: number
}

export interface SourceReading extends Reading {
  /** `used / limit`; for the source reservations count against, `(used + reserved − reclaimed) / limit`. */
  ratio: number
  /**
   * Only on the source reservations count against, once one was made: the bytes live
   * reservations still add (what their work has not yet allocated, see docs/reservations.md).
   */
  reserved?: number
  /** Only with `reserved`: bytes caches gave back for reservations that the heap has not yet collected. */
  reclaimed?: number
}

export interface Sample {
  /** When the sample was taken, by the controller's clock (ms). */
  at: number
  /** The pressure ratio: the maximum ratio over the sources read. */
  ratio: number
  /** The effective level after this sample (a forced level wins). */
  level: Level
  sources: Record<string, SourceReading>
}

export interface LevelChange {
  from: Level
  to: Level
  at: number
  ratio: number
  /** True when the change came from `force()`, `release()` or a forced level's expiry. */
  forced: boolean
  /** Why, in one line: `heap 0.871 reached critical (0.85)`, `gc: garbage collection takes …`. */
  reason: string
  /** Why, as data (the figures behind `reason`). */
  cause: LevelCause
}

/**
 * What moved the level:
 * - `ratio`: a source's ratio reached the threshold of `to` (escalation).
 * - `floor`: a signal other than the ratio holds the level at `to` or above (GC effort,
 *   cgroup `memory.events`, pressure stall information): the floor, as `pressure.floors()` shows it.
 * - `recovery`: the live ratio stayed below the exit line of `from` (and the ratio below its
 *   threshold, and no floor held it) for `forMs` (a step down).
 * - `forced`, `released`, `expired`: an operator's `force()`, `release()`, or a forced level's end.
 * - `mode`: the applied level changed with `pressure.mode` (never on the `'level'` event).
 */
export type LevelCause =
  | { kind: 'ratio'; source: string; ratio: number; threshold: number }
  | { kind: 'floor'; from: string; signal: string; level: Level; reason: string }
  | { kind: 'recovery'; source: string; live: number; line: number; forMs: number }
  | { kind: 'forced' | 'released' | 'expired' | 'mode' }

export type Thresholds = Record<'warning' | 'critical' | 'emergency', number>

export type { Logger } from '../util/logger.js'

/** What a GC notification says: `major` for a full mark-sweep/compact. */
export interface GcInfo {
  major: boolean
  /**
   * The collections it covers, oldest first, on the `performance.now()` timeline (the default
   * seam gives the `PerformanceObserver` entries). Without them no GC effort is measured.
   */
  entries?: readonly GcEntry[]
  /**
   * The old generation right after a major GC: bytes held by its objects and the most V8 lets it
   * hold. The default seam reads it from `v8.getHeapSpaceStatistics()`.
   */
  oldGeneration?: { used: number; limit: number }
}

/** One garbage collection: its kind, when it started and how long its pause lasted (ms). */
export interface GcEntry {
  /** `incremental`: the start of incremental marking, which ends with the next `major`. */
  kind: 'major' | 'minor' | 'incremental' | 'weakcb'
  start: number
  duration: number
}

/**
 * Subscribes to garbage collections and returns the unsubscribe function.
 * The default uses a `PerformanceObserver` on entry type `gc`.
 */
export type GcSubscribe = (onGc: (info: GcInfo) => void) => () => void

export type ControllerEvents = {
  sample: [Sample]
  level: [LevelChange]
  error: [Error]
}
