import type { Level } from '../pressure/levels.js'
import type { Trend } from '../pressure/history/trend.js'
import type { Logger, Sample } from '../pressure/types.js'
import type { MemoryReading } from './growth.js'
import type { FullGcTimings } from '../pressure/readings/gc-timings.js'

/**
 * What leaks needs from its controller, handed in by the composition root (controller.ts):
 * the clock and error channel, readings per kind of memory, the controller's own GC pauses (to
 * predict a checkpoint's forced GC), the trend and the level (for automatic windows), and its
 * samples (the only thing that runs while memory is healthy is a comparison per sample).
 */
export interface LeakHost {
  readonly logger: Logger
  /** The controller's clock (ms). */
  now(): number
  /** Reports a failure on the controller's `'error'` (or its logger); never throws. */
  report(error: unknown): void
  /** Bytes by kind of memory now (the controller's sources where it has them); read at checkpoints only. */
  memory(): MemoryReading
  /** The controller's account of full GCs: a checkpoint's is predicted from it and recorded in it. */
  readonly fullGcs: FullGcTimings
  trend(): Trend
  /** The effective level. */
  readonly level: Level
  /** Called after every sample; returns the unsubscribe function. */
  onSample(fn: (sample: Sample) => void): () => void
  /** Called once when the controller closes. */
  onClose(fn: () => void): void
}
