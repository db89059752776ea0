import type { CacheStats } from '../../src/index.js'

/** Sets keys `${prefix}0` … `${prefix}${n - 1}` in order (so 0 is the least recently used). */
export function fill(cache: { set(key: string, value: string): unknown }, n: number, prefix = 'k', value = 'v'): void {
  for (let i = 0; i < n; i++) cache.set(`${prefix}${i}`, value)
}

/**
 * 100,000 alike rows behind a Proxy that counts the elements read: shows how much of a large
 * value the size estimator walks.
 */
export function countedRows() {
  const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, label: 'row' }))
  const counter = { reads: 0 }
  const counted = new Proxy(rows, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) counter.reads++
      return Reflect.get(target, key, receiver)
    },
  })
  return { rows, counted, counter }
}

/** The stats of a `Managed` that holds nothing: what test doubles of a cache report. */
export function emptyStats(name: string): CacheStats {
  return {
    name,
    priority: 'normal',
    entries: 0,
    bytes: 0,
    capacity: 0,
    multiplier: 1,
    hits: 0,
    misses: 0,
    evictions: 0,
    hitRatio: 0,
  }
}
