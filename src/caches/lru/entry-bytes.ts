import type { LRUCache } from 'lru-cache'
import { estimateEntrySize } from './options.js'

/** Entries sampled to estimate `bytes` when sizes are not tracked. */
const BYTES_SAMPLE = 32

/** Estimates the bytes of a cache that does not track sizes, from its most recently used entries. */
export function sampleBytes<K extends {}, V extends {}>(lru: LRUCache<K, V>): number {
  const count = lru.size
  if (count === 0) return 0
  let sum = 0
  let seen = 0
  for (const [key, value] of lru.entries()) {
    sum += estimateEntrySize(value, key)
    if (++seen === BYTES_SAMPLE) break
  }
  return seen === 0 ? 0 : Math.round((sum / seen) * count)
}

/**
 * Evicts the least recently used entry (as an eviction: disposers see reason `'evict'`) and
 * returns its bytes: exact when the cache tracks sizes, else estimated. 0 when it is empty.
 */
export function popColdest<K extends {}, V extends {}>(lru: LRUCache<K, V>, sizeTracked: boolean): number {
  if (lru.size === 0) return 0
  if (sizeTracked) {
    const before = lru.calculatedSize
    lru.pop()
    return before - lru.calculatedSize
  }
  const key = lru.rkeys().next().value
  const value = lru.pop()
  return value === undefined ? 0 : estimateEntrySize(value, key)
}
