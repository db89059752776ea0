import type { CacheStats } from '../types.js'

/** `stats()` of a managed LRU cache: the `CacheStats` fields plus a few of its own. */
export interface ManagedLruStats extends CacheStats {
  byteCapacity: number | null
  /** The configured `max` (entries at full capacity). */
  max: number
  /** The configured `maxSize`, or null. */
  maxSize: number | null
  /**
   * True unless `bytes` is the sum of your `sizeCalculation`: with `maxSize` (or a cache budget)
   * alone every entry is sized by the default estimator (`estimateSize`), with neither `bytes` is
   * estimated from a sample of entries.
   */
  bytesEstimated: boolean
  /** Loader calls started by `getOrLoad`, and how many of them failed. */
  loads: number
  loadFailures: number
}
