import type { LRUCache } from 'lru-cache'
import { estimateEntrySize } from './lru-options.js'

/** Entries sampled to estimate `bytes` when sizes are not tracked. */
const BYTES_SAMPLE = 32

/** Estimates a cache's bytes from its most recently used entries, when lru-cache does not track sizes. */
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

/** Removes every entry `test(key, value)` selects (collected first: lru-cache must not change while iterated); returns how many. */
export function removeWhere<K extends {}, V extends {}>(
  lru: LRUCache<K, V>,
  test: (key: K, value: V) => boolean,
): number {
  const doomed: K[] = []
  for (const [key, value] of lru.entries()) if (test(key, value)) doomed.push(key)
  for (const key of doomed) lru.delete(key)
  return doomed.length
}
