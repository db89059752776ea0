import type { CacheStats } from './types.js'

/** `stats()` of a managed LRU cache: the contract's fields plus a few of its own. */
export interface ManagedLruStats extends CacheStats {
  byteCapacity: number | null
  /** The configured `max` (entries at full capacity). */
  max: number
  /** The configured `maxSize`, or null. */
  maxSize: number | null
  /** True when `bytes` is estimated from a sample of entries (no `maxSize`, `sizeCalculation` or cache budget). */
  bytesEstimated: boolean
  /** Loader calls started by `getOrLoad`, and how many of them failed. */
  loads: number
  loadFailures: number
}
