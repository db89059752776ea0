import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CACHE_POLICY, type CacheStats, type Level, type Managed } from '../../src/index.js'
import { drive } from '../support/drive.js'
import { fill, emptyStats } from './helpers.js'

// Contract §8: back at normal, a cache's capacity returns from what pressure left it to its max
// step by step over `regrowMs` (default 30 s), driven by samples and the controller's clock.

/** The ratio that gives each level with the default thresholds (and stays above each exit line). */
const RATIO: Record<Level, number> = { normal: 0, warning: 0.75, critical: 0.9, emergency: 0.97 }

/** A warning episode: 1,000 held, warning keeps 750; back at normal after recoveryMs (1 s here) at t = 1 s. */
function afterWarning(options: Parameters<typeof drive>[0] = {}) {
  const driven = drive({ recoveryMs: 1000, ...options })
  const cache = driven.pressure.caches.lru<string, string>('users', { max: 1000 })
  fill(cache, 1000)
  driven.feed(RATIO.warning, 0)
  expect(cache.capacity).toBe(750)
  driven.feed(0, 1) // below the exit line from here
  driven.feed(0, 1001) // recoveryMs elapsed: normal
  expect(driven.pressure.level).toBe('normal')
  return { ...driven, cache, backAt: 1001 }
}

function spyManaged() {
  const calls: unknown[][] = []
  const managed: Managed = {
    resize: (...args: unknown[]) => void calls.push(args),
    clear: () => {},
    stats: (): CacheStats => emptyStats('spy'),
  }
  return { managed, calls }
}

describe('gradual regrowth after pressure (regrowMs)', () => {
  it('starts from what pressure left and reaches max exactly regrowMs after the return to normal', () => {
    const { pressure, cache, feed, backAt } = afterWarning()
    expect(pressure.caches.regrowMs).toBe(30_000)
    expect(pressure.caches.regrowing).toBe(true)
    expect(cache.capacity).toBe(750) // no jump at the moment the level is normal
    let previous = cache.capacity
    for (let t = backAt + 1000; t < backAt + 30_000; t += 1000) {
      feed(0, t)
      expect(cache.capacity).toBeGreaterThanOrEqual(previous)
      expect(cache.capacity).toBeLessThan(1000)
      previous = cache.capacity
    }
    expect(previous).toBeGreaterThan(750)
    feed(0, backAt + 30_000)
    expect(cache.capacity).toBe(1000)
    expect(pressure.caches.regrowing).toBe(false)
    expect(cache.stats()).toMatchObject({ capacity: 1000, multiplier: 1 })
  })

  it('grows in a straight line from what was left to max, rounded down', () => {
    const { cache, feed, backAt } = afterWarning()
    for (const share of [0.1, 0.25, 0.5, 0.75, 0.9]) {
      feed(0, backAt + share * 30_000)
      expect(cache.capacity).toBe(Math.floor(750 + 250 * share))
    }
  })

  it('set obeys the growing capacity: the cache refills only as fast as it regrows', () => {
    const { cache, feed, backAt } = afterWarning()
    fill(cache, 2000, 'new')
    expect(cache.size).toBe(750)
    feed(0, backAt + 15_000)
    fill(cache, 2000, 'more')
    expect(cache.size).toBe(cache.capacity)
    expect(cache.size).toBeLessThan(1000)
  })

  it('without samples nothing regrows: the clock alone does not move it', () => {
    const { cache, clock, backAt } = afterWarning()
    clock.t = backAt + 60_000
    expect(cache.capacity).toBe(750)
  })

  it('regrowMs: 0 restores max at once, as before regrowth existed', () => {
    const { pressure, cache } = afterWarning({ regrowMs: 0 })
    expect(cache.capacity).toBe(1000)
    expect(pressure.caches.regrowing).toBe(false)
  })

  it('pressure during regrowth freezes the reference at what the cache holds', () => {
    const { pressure, cache, feed, backAt } = afterWarning()
    feed(0, backAt + 15_000)
    const regrown = cache.capacity // 866
    fill(cache, regrown, 'refill')
    expect(cache.size).toBe(regrown)
    feed(RATIO.warning, backAt + 16_000)
    expect(pressure.level).toBe('warning')
    expect(pressure.caches.regrowing).toBe(false)
    expect(cache.capacity).toBe(Math.floor(0.75 * regrown))
    // Samples under pressure never grow it.
    feed(RATIO.warning, backAt + 40_000)
    expect(cache.capacity).toBe(Math.floor(0.75 * regrown))
  })

  it('a second return to normal regrows from what the second episode left', () => {
    const { pressure, cache, feed, backAt } = afterWarning()
    feed(0, backAt + 15_000)
    const held = cache.capacity
    fill(cache, held, 'refill')
    feed(RATIO.warning, backAt + 16_000)
    const left = cache.capacity
    feed(0, backAt + 16_001)
    feed(0, backAt + 17_001) // recoveryMs: normal again
    expect(pressure.level).toBe('normal')
    expect(cache.capacity).toBe(left)
    feed(0, backAt + 17_001 + 30_000)
    expect(cache.capacity).toBe(1000)
  })

  it('regrows the byte budget alongside the entries', () => {
    const { pressure, feed } = drive({ recoveryMs: 1000 })
    const cache = pressure.caches.lru<string, string>('pages', {
      max: 100,
      maxSize: 10_000,
      sizeCalculation: (v) => v.length,
    })
    fill(cache, 100, 'k', 'x'.repeat(100))
    feed(RATIO.critical, 0) // normal priority at critical: 0.5
    expect(cache.byteCapacity).toBe(5000)
    feed(0, 1)
    feed(0, 1001) // staged recovery: warning, 0.75 of the reference
    expect(cache.byteCapacity).toBe(7500)
    feed(0, 2001)
    expect(pressure.level).toBe('normal')
    expect(cache.capacity).toBe(75)
    expect(cache.byteCapacity).toBe(7500)
    feed(0, 2001 + 15_000)
    expect(cache.byteCapacity).toBe(8750)
    expect(cache.capacity).toBe(87)
    feed(0, 2001 + 30_000)
    expect(cache.byteCapacity).toBe(10_000)
    expect(cache.capacity).toBe(100)
  })

  it('a cache pressure disabled stays disabled at the return, then grows back from nothing', () => {
    const { pressure, feed } = drive({ recoveryMs: 1000 })
    const cache = pressure.caches.lru<string, string>('extras', { max: 1000, priority: 'optional' })
    fill(cache, 1000)
    pressure.force('critical')
    expect(cache.disabled).toBe(true)
    pressure.release()
    expect(pressure.level).toBe('normal')
    expect(cache.capacity).toBe(0)
    feed(0, 300) // the first step: 1 % of regrowMs
    expect(cache.capacity).toBe(10)
    cache.set('a', '1')
    expect(cache.get('a')).toBe('1')
    feed(0, 15_000)
    expect(cache.capacity).toBe(500)
    feed(0, 30_000)
    expect(cache.capacity).toBe(1000)
  })

  it('a cache created during regrowth starts at full capacity (pressure never left it anything)', () => {
    const { pressure } = afterWarning()
    const late = pressure.caches.lru<string, string>('late', { max: 500 })
    expect(late.capacity).toBe(500)
  })

  it('force() and release() regrow the same way', () => {
    const { pressure, feed } = drive()
    const cache = pressure.caches.lru<string, string>('c', { max: 100 })
    fill(cache, 100)
    pressure.force('emergency')
    expect(cache.capacity).toBe(10)
    pressure.release()
    expect(pressure.level).toBe('normal')
    expect(cache.capacity).toBe(10)
    feed(0, 30_000)
    expect(cache.capacity).toBe(100)
  })

  it('tells a registered Managed the progress, in at most ~100 steps however often it samples', () => {
    const { pressure, feed } = drive({ recoveryMs: 0, regrowMs: 10_000 })
    const { managed, calls } = spyManaged()
    pressure.caches.register('spy', managed)
    expect(calls).toEqual([[1, 'normal']])
    feed(RATIO.warning, 0)
    feed(0, 1) // recoveryMs 0: back to normal at once
    expect(calls.slice(1)).toEqual([
      [0.75, 'warning'],
      [1, 'normal', 0],
    ])
    calls.length = 0
    for (let t = 2; t <= 10_006; t += 5) feed(0, t)
    const progress = calls.map((call) => call[2])
    expect(calls.length).toBeGreaterThan(90)
    expect(calls.length).toBeLessThanOrEqual(101)
    for (let i = 1; i < progress.length - 1; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1] as number)
    // The last step is the plain call: fully regrown.
    expect(calls.at(-1)).toEqual([1, 'normal'])
    calls.length = 0
    feed(0, 20_000)
    expect(calls).toEqual([])
  })

  it('configure({ regrowMs }) applies to a regrowth in progress', () => {
    const { pressure, cache, feed, backAt } = afterWarning()
    feed(0, backAt + 1000)
    expect(cache.capacity).toBeLessThan(1000)
    pressure.configure({ regrowMs: 2000 })
    expect(pressure.caches.regrowMs).toBe(2000)
    feed(0, backAt + 2000)
    expect(cache.capacity).toBe(1000)
    pressure.configure({ regrowMs: 0 })
    expect(pressure.caches.regrowMs).toBe(0)
  })

  it('bad regrowMs is refused at construction and by configure, naming the option and the value', () => {
    expect(() => drive({ regrowMs: -1 })).toThrow(
      new RangeError(
        'createController: option `regrowMs` must be a finite number >= 0 and <= 2147483647, got -1 (number)',
      ),
    )
    expect(() => drive({ regrowMs: '5' as never })).toThrow(TypeError)
    const { pressure } = drive()
    expect(() => pressure.configure({ regrowMs: Number.NaN })).toThrow(
      new RangeError('configure: option `regrowMs` must be a finite number >= 0 and <= 2147483647, got NaN (number)'),
    )
    expect(pressure.caches.regrowMs).toBe(30_000)
  })
})

describe('regrowth properties (fast-check)', () => {
  type Step = { kind: 'level'; level: Level; dt: number } | { kind: 'set'; n: number } | { kind: 'wait'; dt: number }
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('level' as const),
      level: fc.constantFrom<Level>('normal', 'warning', 'critical', 'emergency'),
      dt: fc.integer({ min: 1, max: 5000 }),
    }),
    fc.record({ kind: fc.constant('set' as const), n: fc.integer({ min: 1, max: 80 }) }),
    fc.record({ kind: fc.constant('wait' as const), dt: fc.integer({ min: 1, max: 12_000 }) }),
  )

  it('under pressure the reference rule holds; at normal the capacity only grows, stays within max, and is max once regrowMs has passed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(0, 1000, 30_000),
        fc.array(step, { maxLength: 80 }),
        (max, regrowMs, steps) => {
          // recoveryMs 0: a normal ratio brings the level down one step per sample.
          const { pressure, feed, clock, errors } = drive({ recoveryMs: 0, regrowMs })
          const cache = pressure.caches.lru<string, string>('p', { max })
          let reference = max
          let normalSince: number | null = null
          let previous = cache.capacity
          let key = 0
          const check = () => {
            const level = pressure.level
            const multiplier = DEFAULT_CACHE_POLICY[level].normal
            expect(cache.size).toBeLessThanOrEqual(cache.capacity)
            expect(cache.capacity).toBeLessThanOrEqual(max)
            if (level !== 'normal') {
              const expected =
                multiplier === 0 || reference === 0 ? 0 : Math.max(1, Math.floor(multiplier * reference + 1e-9))
              expect(cache.capacity).toBe(expected)
              normalSince = null
            } else {
              if (normalSince !== null) expect(cache.capacity).toBeGreaterThanOrEqual(previous)
              if (normalSince !== null && clock.t - normalSince >= regrowMs) expect(cache.capacity).toBe(max)
            }
            previous = cache.capacity
          }
          for (const s of steps) {
            if (s.kind === 'set') fill(cache, s.n, `k${key++}-`)
            else {
              const before = pressure.level
              const heldBefore = cache.size
              const ratio = s.kind === 'level' ? RATIO[s.level] : pressure.ratio
              feed(ratio, clock.t + s.dt)
              if (before === 'normal' && pressure.level !== 'normal') reference = Math.min(max, heldBefore)
              if (before !== 'normal' && pressure.level === 'normal') normalSince = clock.t
              if (pressure.level === 'normal' && before === 'normal' && normalSince === null) normalSince = -Infinity
            }
            check()
          }
          expect(errors).toEqual([])
          pressure.close()
        },
      ),
      { numRuns: 200 },
    )
  })
})
