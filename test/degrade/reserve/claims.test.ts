import { afterEach, describe, expect, it } from 'vitest'
import { ShedError, type Controller, type ControllerOptions, type ManagedLru } from '../../../src/index.js'
import { ledger } from '../../support/drive.js'
import { MiB } from '../../support/sources.js'

const opened: Controller[] = []
afterEach(() => {
  for (const p of opened.splice(0)) p.close()
})

type Cache = ManagedLru<string, string>

/** The level rises at these grants (and refusals); caches keep their size there, so only the claims show. */
const KEEP_AT_WARNING: ControllerOptions = {
  cachePolicy: {
    warning: { optional: 1, normal: 1, essential: 1 },
    critical: { optional: 1, normal: 1, essential: 1 },
  },
}

/** Low work refused from warning up: its line is 0.70, so a grant after a claim leaves the level at normal. */
const LOW_LINE_AT_WARNING: ControllerOptions = { shed: { admission: { warning: 'normal' } } }

/**
 * A controller at 10 MiB used with three caches of 1 MiB entries (exact sizes), filled in order
 * (`o0` is the least recently used optional entry), then the heap moved to `used` without a
 * sample: the level is still normal when the reservation comes.
 */
function withCaches(used: number, fill = { optional: 10, normal: 10, essential: 10 }, options: ControllerOptions = {}) {
  const l = ledger({ ...KEEP_AT_WARNING, ...options }, 10 * MiB)
  opened.push(l.pressure)
  const make = (name: string, priority: 'optional' | 'normal' | 'essential', n: number): Cache => {
    const cache = l.pressure.caches.lru<string, string>(name, {
      max: 1000,
      maxSize: 1000 * MiB,
      sizeCalculation: () => MiB,
      priority,
    })
    for (let i = 0; i < n; i++) cache.set(`${name[0]}${i}`, 'v')
    return cache
  }
  const caches = {
    optional: make('optional', 'optional', fill.optional),
    normal: make('normal', 'normal', fill.normal),
    essential: make('essential', 'essential', fill.essential),
  }
  l.heap.used = used
  return { ...l, caches }
}

const keys = (cache: Cache) => [...cache.keys()].reverse() // least recently used first

describe('claiming room from the caches before refusing', () => {
  it('takes the least recently used entries of the lowest-priority cache, counts them, and grants', () => {
    const { pressure, caches } = withCaches(70 * MiB)
    caches.optional.get('o0') // o0 is now the most recently used
    const job = pressure.reserve(20 * MiB, { priority: 'low' }) // 90 ≥ 85: 5 MiB + 1 byte needed
    expect(job.state).toBe('held')
    expect(keys(caches.optional)).toEqual(['o7', 'o8', 'o9', 'o0'])
    expect(caches.normal.size).toBe(10)
    expect(caches.essential.size).toBe(10)
    expect(caches.optional.stats().evictions).toBe(6)
    expect(pressure.reservations.stats()).toMatchObject({ claimedFromCaches: 6 * MiB, reclaimed: 6 * MiB })
    expect(pressure.ratio).toBeCloseTo(0.84) // 70 − 6 + 20
    expect(pressure.level).toBe('warning')
  })

  it('goes on to the next priority only when the lower one is empty: optional, then normal, then essential', () => {
    const { pressure, caches } = withCaches(70 * MiB, { optional: 4, normal: 3, essential: 10 })
    pressure.reserve(24 * MiB, { priority: 'low' }) // 94: 9 MiB + 1 byte needed
    expect(caches.optional.size).toBe(0)
    expect(caches.normal.size).toBe(0)
    expect(keys(caches.essential)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'])
  })

  it('shares a priority between its caches in proportion to what each holds, without a budget', () => {
    const { pressure, caches } = withCaches(70 * MiB, { optional: 0, normal: 0, essential: 0 })
    const small = pressure.caches.lru<string, string>('small', {
      max: 100,
      maxSize: 100 * MiB,
      sizeCalculation: () => MiB,
      priority: 'optional',
    })
    for (let i = 0; i < 10; i++) caches.optional.set(`a${i}`, 'v')
    for (let i = 0; i < 5; i++) small.set(`b${i}`, 'v')
    pressure.reserve(20 * MiB, { priority: 'low' }) // 5 MiB + 1 needed: 4 from the 10, 2 from the 5
    expect([caches.optional.size, small.size]).toEqual([6, 3])
  })

  it('takes the coldest entries across caches of one priority under a budget (one recency order)', () => {
    const { pressure, caches } = withCaches(
      70 * MiB,
      { optional: 0, normal: 0, essential: 0 },
      { caches: { budget: 500 * MiB } },
    )
    const other = pressure.caches.lru<string, string>('other', {
      max: 100,
      maxSize: 100 * MiB,
      sizeCalculation: () => MiB,
      priority: 'optional',
    })
    for (let i = 0; i < 5; i++) caches.optional.set(`a${i}`, 'v')
    for (let i = 0; i < 5; i++) other.set(`b${i}`, 'v')
    caches.optional.get('a0')
    pressure.reserve(20 * MiB, { priority: 'low' }) // 6 coldest: a1 a2 a3 a4 b0 b1
    expect(keys(caches.optional)).toEqual(['a0'])
    expect(keys(other)).toEqual(['b2', 'b3', 'b4'])
  })

  it('refuses without evicting anything when the caches hold too little to make it fit', () => {
    const { pressure, caches } = withCaches(70 * MiB, { optional: 2, normal: 2, essential: 1 })
    expect(() => pressure.reserve(21 * MiB, { priority: 'low' })).toThrow(ShedError) // needs 6 MiB + 1
    expect([caches.optional.size, caches.normal.size, caches.essential.size]).toEqual([2, 2, 1])
    expect(pressure.reservations.stats().claimedFromCaches).toBe(0)
  })

  it('claims room for its own bytes only, never to relieve pressure others caused', () => {
    const { pressure, caches } = withCaches(86 * MiB)
    expect(() => pressure.reserve(MiB, { priority: 'low' })).toThrow(ShedError)
    expect(caches.optional.size).toBe(10)
    pressure.reserve(MiB, { priority: 'normal' }) // 87 < 95: fits without a claim
    expect(caches.optional.size).toBe(10)
  })

  it('holds the room down while the reservation lives: the cache does not refill it, then may', () => {
    const { pressure, caches } = withCaches(50 * MiB, undefined, LOW_LINE_AT_WARNING)
    const job = pressure.reserve(25 * MiB, { priority: 'low' }) // 75 ≥ 70: 6 entries claimed, 69 after
    expect(pressure.level).toBe('normal')
    expect(caches.optional.size).toBe(4)
    expect(caches.optional.capacity).toBe(4)
    for (let i = 0; i < 10; i++) caches.optional.set(`new${i}`, 'v')
    expect(caches.optional.size).toBe(4)
    job.release()
    expect(caches.optional.capacity).toBe(1000)
    for (let i = 0; i < 10; i++) caches.optional.set(`again${i}`, 'v')
    expect(caches.optional.size).toBe(14)
  })

  it('keeps what it held after the claim as its reference when the grant starts pressure (caches do not grow under pressure)', () => {
    const { pressure, caches } = withCaches(70 * MiB)
    const job = pressure.reserve(20 * MiB, { priority: 'low' })
    expect(pressure.level).toBe('warning')
    job.release()
    expect(caches.optional.capacity).toBe(4)
  })

  it('gives the held room back when the leak guard expires the reservation, and when the controller closes', () => {
    const { pressure, caches, sample } = withCaches(50 * MiB, undefined, {
      ...LOW_LINE_AT_WARNING,
      reservations: { maxHoldMs: 100 },
    })
    pressure.reserve(25 * MiB, { priority: 'low' })
    expect(caches.optional.capacity).toBe(4)
    sample(50 * MiB, 101)
    expect(caches.optional.capacity).toBe(1000)
    // The 6 MiB given back are not collected yet (no GC since): 44 MiB count, so 27 MiB need 1 MiB + 1 byte.
    pressure.reserve(27 * MiB, { priority: 'low' })
    expect(caches.optional.capacity).toBe(2)
    pressure.close()
    expect(caches.optional.capacity).toBe(1000)
  })
})
