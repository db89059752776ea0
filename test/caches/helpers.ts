import { createController, type CacheStats, type ControllerOptions } from '../../src/index.js'

/**
 * A controller driven by hand: a fake source whose ratio the test sets, an injected clock, no
 * timer and no GC observer. Tests move the level with `feed(ratio)` or `pressure.force(level)`
 * and read the caches right after, as the contract promises.
 */
export function drive(options: ControllerOptions = {}) {
  const clock = { t: 0 }
  const source = { ratio: 0 }
  const pressure = createController({
    sources: [{ name: 'fake', read: () => ({ used: source.ratio, limit: 1 }) }],
    autoStart: false,
    now: () => clock.t,
    ...options,
  })
  const errors: unknown[] = []
  pressure.on('error', (e) => errors.push(e))
  return {
    pressure,
    clock,
    errors,
    /** Sets the ratio, moves the clock to `at` (ms) and samples. */
    feed(ratio: number, at = clock.t) {
      clock.t = at
      source.ratio = ratio
      return pressure.sample()
    },
  }
}

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
