import type { Level } from '../../pressure/levels.js'
import type { ShedReason, ShedRefusal } from './error.js'
import type { Priority } from './priority.js'

/** `shed.stats()`: what the shedder holds now and what it has decided so far. */
export interface ShedStats {
  /** Admitted work holding a slot now (critical work included). */
  inFlight: number
  /** Work waiting for a slot now. */
  queued: number
  /** Admissions so far (`admit()` answers of true, and slots granted). */
  admitted: number
  /** Refusals so far, per priority. */
  refused: Record<Priority, number>
  /** Refusals so far, per reason. */
  refusedByReason: Record<ShedReason, number>
  /** The concurrency limit at the current level, or null when there is none. */
  limit: number | null
  /** The level the shedder applies now. */
  level: Level
}

export interface AcquireOptions {
  /** Seconds a refusal tells the client to wait; default the controller's `shed.retryAfter`. */
  retryAfter?: number
  /**
   * True for work that reserves its memory (`pressure.reserve`) once admitted: the admission
   * table does not refuse it by the measured level, its reservation decides (a forced level
   * still applies, and so does the concurrency limit). Default false.
   */
  reserves?: boolean
}

export interface RunOptions extends AcquireOptions {
  /** Default `'normal'`. */
  priority?: Priority
  /**
   * Aborting withdraws the work from the queue, or, once it runs, rejects `run()` with the
   * signal's reason and gives its slot back at once (so `fn` should honour the signal it gets).
   */
  signal?: AbortSignal
  /**
   * Bytes the work will hold: reserved (`pressure.reserve`) once it has its slot, released when
   * it ends, however it ends. When they do not fit, `run()` rejects with a `ShedError` (reason
   * `'memory'`) and `fn` never runs.
   */
  bytes?: number
}

export type ShedEvents = {
  /** A piece of work was shed. */
  refused: [ShedRefusal]
  error: [Error]
}
