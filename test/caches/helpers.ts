import { createController, type ControllerOptions } from '../../src/index.js'

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
