import { describe, expect, it } from 'vitest'
import { LEVELS, type CachePriority, type Level } from '../../src/index.js'
import { drive } from '../support/drive.js'
import { fill } from './helpers.js'

const EXPECTED: Record<Level, Record<CachePriority, number>> = {
  normal: { essential: 1000, normal: 1000, optional: 1000 },
  warning: { essential: 1000, normal: 750, optional: 500 },
  critical: { essential: 750, normal: 500, optional: 0 },
  emergency: { essential: 500, normal: 100, optional: 0 },
}

describe('caches follow the level (default policy)', () => {
  it('keeps multiplier × what it held, in entries and bytes, at every level and priority', () => {
    const { pressure } = drive()
    const priorities: CachePriority[] = ['essential', 'normal', 'optional']
    const caches = priorities.map((priority) =>
      pressure.caches.lru<string, string>(priority, {
        max: 1000,
        maxSize: 100_000,
        sizeCalculation: () => 100,
        priority,
      }),
    )
    for (const cache of caches) fill(cache, 1000)
    for (const level of LEVELS) {
      pressure.force(level)
      for (const cache of caches) {
        const want = EXPECTED[level][cache.priority]
        const stats = cache.stats()
        expect({ level, name: stats.name, entries: cache.size, capacity: cache.capacity }).toEqual({
          level,
          name: cache.priority,
          entries: want,
          capacity: want,
        })
        expect(stats.bytes).toBe(want * 100)
        expect(stats.byteCapacity).toBe(want * 100)
        expect(stats.multiplier).toBe(pressure.caches.policy[level][cache.priority])
        if (want > 0) {
          // The most recently used entries are the ones kept.
          expect(cache.has('k999')).toBe(true)
          expect(cache.has(`k${1000 - want}`)).toBe(true)
        }
        if (want < 1000) expect(cache.has(`k${999 - want}`)).toBe(false)
      }
    }
    expect(pressure.caches.stats().map((s) => [s.name, s.entries])).toEqual([
      ['essential', 500],
      ['normal', 100],
      ['optional', 0],
    ])
  })

  it('evicts by bytes when the byte budget binds first, least recently used first', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('mixed', {
      max: 100,
      maxSize: 20_000,
      sizeCalculation: (v) => v.length,
    })
    fill(cache, 90, 'small', 'x'.repeat(10))
    fill(cache, 10, 'big', 'x'.repeat(1000))
    expect(cache.stats().bytes).toBe(10_900)
    pressure.force('warning')
    // 75 entries and floor(0.75 × 10,900) = 8,175 bytes allowed: every small entry and two big ones go.
    expect(cache.capacity).toBe(75)
    expect(cache.byteCapacity).toBe(8175)
    expect(cache.size).toBe(8)
    expect(cache.stats().bytes).toBe(8000)
    expect([...cache.keys()].sort()).toEqual(['big2', 'big3', 'big4', 'big5', 'big6', 'big7', 'big8', 'big9'])
    // set keeps within the byte budget too.
    cache.set('big10', 'x'.repeat(1000))
    expect(cache.stats().bytes).toBeLessThanOrEqual(8175)
    expect(cache.has('big10')).toBe(true)
    expect(cache.has('big2')).toBe(false)
  })

  // `regrowMs: 0` where a test needs the capacity back at max the moment the level is normal;
  // gradual regrowth has its own tests (regrowth.test.ts).
  it('sized by guess: max 1,000,000 holding 2,000 keeps 1,500 at warning and does not grow', () => {
    const { pressure } = drive({ regrowMs: 0 })
    const cache = pressure.caches.lru<string, string>('guess', { max: 1_000_000 })
    fill(cache, 2000)
    pressure.force('warning')
    expect(cache.capacity).toBe(1500)
    expect(cache.size).toBe(1500)
    fill(cache, 1000, 'new')
    expect(cache.size).toBe(1500)
    expect(cache.has('new999')).toBe(true)
    pressure.force('critical')
    expect(cache.capacity).toBe(1000)
    expect(cache.size).toBe(1000)
    // Back to warning: the reference is still what was held when pressure began (2,000).
    pressure.force('warning')
    expect(cache.capacity).toBe(1500)
    expect(cache.size).toBe(1000) // nothing is refilled
    fill(cache, 3000, 'more')
    expect(cache.size).toBe(1500)
    pressure.force('normal')
    expect(cache.capacity).toBe(1_000_000)
    fill(cache, 3000, 'after')
    expect(cache.size).toBe(4500)
  })

  it('a cache that was empty when pressure began stays empty until normal', () => {
    const { pressure } = drive({ regrowMs: 0 })
    const cache = pressure.caches.lru<string, string>('empty', { max: 100, priority: 'essential' })
    pressure.force('warning')
    expect(cache.capacity).toBe(0)
    cache.set('a', '1')
    expect(cache.size).toBe(0)
    expect(cache.get('a')).toBeUndefined()
    pressure.force('emergency')
    pressure.force('warning')
    cache.set('a', '1')
    expect(cache.size).toBe(0)
    pressure.force('normal')
    expect(cache.capacity).toBe(100)
    cache.set('a', '1')
    expect(cache.get('a')).toBe('1')
  })

  it('a cache created under pressure starts at the current multiplier of what it holds (nothing)', () => {
    const { pressure } = drive({ regrowMs: 0 })
    pressure.force('critical')
    const cache = pressure.caches.lru<string, string>('late', { max: 50, priority: 'essential' })
    expect(cache.stats()).toMatchObject({ capacity: 0, multiplier: 0.75, entries: 0 })
    cache.set('a', '1')
    expect(cache.size).toBe(0)
    pressure.force('normal')
    expect(cache.stats()).toMatchObject({ capacity: 50, multiplier: 1 })
  })

  it('multiplier 0 disables a cache: get misses, set stores nothing, has is false', () => {
    const { pressure } = drive({ regrowMs: 0 })
    const cache = pressure.caches.lru<string, string>('extras', { max: 10, priority: 'optional' })
    fill(cache, 10)
    cache.get('k1')
    pressure.force('critical')
    expect(cache.disabled).toBe(true)
    expect(cache.size).toBe(0)
    expect(cache.get('k9')).toBeUndefined()
    expect(cache.has('k9')).toBe(false)
    expect(cache.peek('k9')).toBeUndefined()
    cache.set('x', 'y')
    expect(cache.size).toBe(0)
    expect(cache.stats()).toMatchObject({ capacity: 0, multiplier: 0, hits: 1, misses: 1, evictions: 10 })
    pressure.force('normal')
    cache.set('x', 'y')
    expect(cache.get('x')).toBe('y')
  })

  it('recovers through staged levels: capacity grows back, nothing is refilled', () => {
    const { pressure, feed } = drive({ recoveryMs: 1000, regrowMs: 0 })
    const cache = pressure.caches.lru<string, string>('pages', { max: 400 })
    fill(cache, 400)
    feed(0.9, 0) // critical (0.85)
    expect(pressure.level).toBe('critical')
    expect(cache.capacity).toBe(200)
    expect(cache.size).toBe(200)
    feed(0.5, 10)
    feed(0.5, 1010) // one step down after recoveryMs
    expect(pressure.level).toBe('warning')
    expect(cache.capacity).toBe(300)
    expect(cache.size).toBe(200)
    feed(0.5, 2010)
    expect(pressure.level).toBe('normal')
    expect(cache.capacity).toBe(400)
    expect(cache.size).toBe(200)
    expect(cache.stats().evictions).toBe(200)
  })

  it('rounds capacities down, float error aside, and keeps at least 1', () => {
    const { pressure } = drive({ cachePolicy: { warning: { normal: 0.29 } } })
    const cache = pressure.caches.lru<string, string>('r', { max: 100 })
    const tiny = pressure.caches.lru<string, string>('tiny', { max: 100 })
    fill(cache, 100)
    fill(tiny, 5)
    pressure.force('warning')
    expect(cache.capacity).toBe(29) // 0.29 × 100 is 28.999999999999996 in floating point
    expect(tiny.capacity).toBe(1) // 0.29 × 5 = 1.45
    pressure.force('emergency')
    expect(tiny.capacity).toBe(1) // 0.1 × 5 = 0.5, kept at 1
    expect(tiny.has('k4')).toBe(true)
  })

  it("resizes before user 'level' listeners run", () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('seen', { max: 100 })
    fill(cache, 100)
    const seen: number[] = []
    pressure.on('level', () => seen.push(cache.size))
    pressure.force('emergency')
    expect(seen).toEqual([10])
  })

  it('resize() called directly: below 1 freezes the reference at what is held, 1 restores max', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('manual', { max: 1000 })
    fill(cache, 40)
    cache.resize(0.5)
    expect(cache.capacity).toBe(20)
    cache.resize(0.25)
    expect(cache.capacity).toBe(10) // still a share of the 40 held when the shrinking began
    cache.resize(1)
    expect(cache.capacity).toBe(1000)
    expect(() => cache.resize(1.5)).toThrow(RangeError)
    expect(() => cache.resize(1.5)).toThrow(
      'cache "manual" resize: argument `multiplier` must be a finite number >= 0 and <= 1, got 1.5 (number)',
    )
    expect(() => cache.resize(0.5, 'high' as never)).toThrow(RangeError)
  })
})
