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
  read(): Reading
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
}

export type Thresholds = Record<'warning' | 'critical' | 'emergency', number>

/** console- and pino-compatible. */
// `any` on purpose: console's and pino's methods (and a user's `(msg: string) => void`) must all fit.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Logger {
  info?: (...args: any[]) => void
  warn?: (...args: any[]) => void
  error?: (...args: any[]) => void
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** What a GC notification says: `major` for a full mark-sweep/compact. */
export interface GcInfo {
  major: boolean
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
