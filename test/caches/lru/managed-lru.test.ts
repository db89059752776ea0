import { describe, expect, it } from 'vitest'
import { estimateSize } from '../../../src/index.js'
import { drive } from '../../support/drive.js'
import { countedRows, fill } from '../helpers.js'

describe('a managed lru cache', () => {
  it('behaves as an LRU map at full capacity', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, number>('m', { max: 3 })
    cache.set('a', 1).set('b', 2).set('c', 3)
    expect(cache.get('a')).toBe(1) // a becomes the most recently used
    cache.set('d', 4) // evicts b
    expect([...cache.keys()]).toEqual(['d', 'a', 'c'])
    expect([...cache.values()]).toEqual([4, 1, 3])
    expect([...cache.entries()]).toEqual([
      ['d', 4],
      ['a', 1],
      ['c', 3],
    ])
    expect(cache.has('b')).toBe(false)
    expect(cache.peek('c')).toBe(3)
    expect(cache.delete('c')).toBe(true)
    expect(cache.delete('c')).toBe(false)
    expect(cache.size).toBe(2)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.max).toBe(3)
    expect(cache.maxSize).toBeNull()
  })

  it('counts hits, misses and evictions; hitRatio = hits / (hits + misses)', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('s', { max: 4 })
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0, hitRatio: 0, evictions: 0, entries: 0 })
    fill(cache, 6) // two evicted by the max
    for (const key of ['k2', 'k3', 'k5', 'k0', 'nope']) cache.get(key)
    cache.has('k4') // has/peek are not lookups
    cache.peek('k4')
    cache.delete('k4') // explicit deletes are not evictions
    cache.set('k5', 'again') // nor are overwrites
    expect(cache.stats()).toEqual({
      name: 's',
      priority: 'normal',
      entries: 3,
      bytes: expect.any(Number),
      capacity: 4,
      multiplier: 1,
      hits: 3,
      misses: 2,
      evictions: 2,
      hitRatio: 0.6,
      byteCapacity: null,
      max: 4,
      maxSize: null,
      bytesEstimated: true,
      loads: 0,
      loadFailures: 0,
    })
  })

  it('counts evictions from set beyond a reduced capacity, least recently used first', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('e', { max: 100 })
    fill(cache, 10)
    pressure.force('warning') // 0.75 × 10 = 7
    expect(cache.stats().evictions).toBe(3)
    cache.get('k3') // k3 is now the most recently used
    cache.set('new', 'x')
    expect(cache.size).toBe(7)
    expect(cache.has('k4')).toBe(false) // the LRU went
    expect(cache.has('k3')).toBe(true)
    expect(cache.stats().evictions).toBe(4)
  })

  it('passes dispose through (every reason) and reports a throwing disposer instead of raising it', () => {
    const { pressure, errors } = drive()
    const seen: string[] = []
    const after: string[] = []
    const boom = new Error('dispose failed')
    const cache = pressure.caches.lru<string, string>('d', {
      max: 10,
      dispose: (value, key, reason) => {
        seen.push(`${key}:${reason}`)
        if (key === 'bad') throw boom
      },
      disposeAfter: (_v, key, reason) => after.push(`${key}:${reason}`),
    })
    fill(cache, 4)
    cache.set('k0', 'w') // overwrite
    cache.delete('k1')
    cache.set('bad', 'x')
    pressure.force('emergency') // 0.1 × 4 = 0.4 → 1: keeps only 'bad'... which is the most recent
    pressure.force('normal')
    cache.delete('bad')
    expect(seen).toEqual(['k0:set', 'k1:delete', 'k2:evict', 'k3:evict', 'k0:evict', 'bad:delete'])
    expect(after).toEqual(seen)
    expect(errors).toEqual([boom])
    expect(cache.size).toBe(0)
  })

  it('noDisposeOnSet and updateAgeOnGet pass through', () => {
    const { pressure } = drive()
    const seen: string[] = []
    const now = { t: 0 }
    const cache = pressure.caches.lru<string, string>('p', {
      max: 10,
      ttl: 100,
      updateAgeOnGet: true,
      noDisposeOnSet: true,
      dispose: (_v, k, r) => seen.push(`${k}:${r}`),
      perf: { now: () => now.t },
      ttlResolution: 0,
    })
    cache.set('a', '1')
    cache.set('a', '2')
    expect(seen).toEqual([])
    now.t = 90
    expect(cache.get('a')).toBe('2') // resets the age
    now.t = 180
    expect(cache.get('a')).toBe('2')
    now.t = 281
    expect(cache.get('a')).toBeUndefined()
  })

  it('expires entries by ttl (lru-cache perf clock) and allowStale returns the stale value once', () => {
    const { pressure } = drive()
    const now = { t: 1000 }
    const cache = pressure.caches.lru<string, string>('ttl', {
      max: 10,
      ttl: 50,
      allowStale: true,
      ttlResolution: 0,
      perf: { now: () => now.t },
    })
    cache.set('a', '1')
    cache.set('b', '2', { ttl: 500 })
    now.t = 1049
    expect(cache.get('a')).toBe('1')
    now.t = 1051
    expect(cache.has('a')).toBe(false)
    expect(cache.get('a')).toBe('1') // stale, returned once (allowStale), then gone
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('b')).toBe('2')
    expect(cache.stats().evictions).toBe(0) // expiry is not an eviction
  })

  it('maxSize without sizeCalculation uses the default estimator on value and key', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, object>('est', { max: 100, maxSize: 1_000_000 })
    const value = { id: 1, name: 'Ada', tags: ['a', 'b'] }
    cache.set('user:1', value)
    expect(cache.stats().bytes).toBe(estimateSize(value) + estimateSize('user:1'))
    // The bytes come from the estimator, so they are estimated (issue 16: this read false).
    expect(cache.stats().bytesEstimated).toBe(true)
    expect(cache.byteCapacity).toBe(1_000_000)
  })

  it('the default estimator walks at most 64 values per set and extrapolates the rest (a set stays cheap)', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, object>('big-values', { max: 10, maxSize: 100_000_000 })
    const { rows, counted, counter } = countedRows()
    cache.set('rows', counted)
    expect(counter.reads).toBeGreaterThan(0)
    expect(counter.reads).toBeLessThanOrEqual(64)
    // Every row is alike, so the extrapolation is the exact per-row figure times the count.
    const perRow = estimateSize({ id: 0, label: 'row' })
    expect(cache.stats().bytes).toBe(32 + 16 + 8 * 100_000 + perRow * 100_000 + estimateSize('rows'))
    expect(cache.stats().bytes).toBe(estimateSize(rows, { maxNodes: 64 }) + estimateSize('rows', { maxNodes: 64 }))
  })

  it('1,000 ASCII strings of 10 KB count about 10 MB, not 20 MB (issue 16): a maxSize budget is not halved', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('pages', { max: 2000, maxSize: 12_000_000 })
    for (let i = 0; i < 1000; i++) cache.set(`page:${i}`, `${i}:`.padEnd(10_240, 'abcdefghij'))
    const { bytes, entries, bytesEstimated } = cache.stats()
    expect(entries).toBe(1000) // all fit: at two bytes a character they would have been cut to ~585
    expect(bytes).toBe(1000 * (10_256 + 24)) // keys `page:0`…`page:999`: 24 bytes each
    expect(bytesEstimated).toBe(true)
  })

  it('a sizeCalculation that returns no usable size fails the set with the cache, the option and the value (not lru-cache’s bare TypeError)', async () => {
    const { pressure } = drive()
    const sizes: unknown[] = [0]
    const cache = pressure.caches.lru<string, string>('users', {
      max: 10,
      maxSize: 1000,
      sizeCalculation: () => sizes[0] as number,
    })
    expect(() => cache.set('user:1', 'Ada')).toThrow(
      new RangeError(
        'caches.lru("users"): option `sizeCalculation` must return an integer >= 1, got 0 (number) for key "user:1" (string)',
      ),
    )
    sizes[0] = '12'
    expect(() => cache.set('user:1', 'Ada')).toThrow(TypeError)
    expect(cache.size).toBe(0)
    // Through getOrLoad, the load's promise rejects with it; nothing is stored.
    sizes[0] = -1
    await expect(cache.getOrLoad('user:2', () => Promise.resolve('Grace'))).rejects.toThrow(
      'option `sizeCalculation` must return an integer >= 1, got -1 (number)',
    )
    sizes[0] = 3
    expect(cache.set('user:1', 'Ada').stats().bytes).toBe(3)
  })

  it('sizeCalculation without maxSize tracks exact bytes without a budget', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('sized', { max: 10, sizeCalculation: (v) => v.length })
    cache.set('a', 'x'.repeat(1000)).set('b', 'x'.repeat(5000))
    expect(cache.stats()).toMatchObject({ bytes: 6000, byteCapacity: null, bytesEstimated: false })
  })

  it('without sizes, bytes are estimated from a sample of entries', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('plain', { max: 1000 })
    fill(cache, 500, 'k', 'x'.repeat(100)) // keys k0..k499: 2-4 digit keys
    const perEntry = estimateSize('x'.repeat(100)) + estimateSize('k499')
    const { bytes, bytesEstimated } = cache.stats()
    expect(bytesEstimated).toBe(true)
    expect(bytes).toBe(perEntry * 500)
  })

  it('a set that exceeds the byte budget evicts LRU-first; entries above maxEntrySize are refused', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('bytes', {
      max: 100,
      maxSize: 100,
      sizeCalculation: (v) => v.length,
    })
    fill(cache, 10, 'k', 'x'.repeat(10))
    cache.set('big', 'x'.repeat(35))
    expect(cache.stats().bytes).toBeLessThanOrEqual(100)
    expect([...cache.keys()].slice(0, 2)).toEqual(['big', 'k9'])
    expect(cache.has('k3')).toBe(false)
    expect(cache.has('k4')).toBe(true)
    cache.set('huge', 'x'.repeat(101))
    expect(cache.has('huge')).toBe(false)
  })
})

describe('invalidation', () => {
  it('invalidate(key), invalidateWhere(predicate) and invalidatePrefix(prefix)', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, number>('inv', { max: 100 })
    for (let i = 0; i < 10; i++) {
      cache.set(`user:${i}`, i)
      cache.set(`org:${i}`, i)
    }
    expect(cache.invalidate('user:0')).toBe(true)
    expect(cache.invalidate('user:0')).toBe(false)
    expect(cache.invalidatePrefix('user:')).toBe(9)
    expect(cache.size).toBe(10)
    expect(cache.invalidateWhere((key, value) => key.startsWith('org:') && value % 2 === 0)).toBe(5)
    expect([...cache.keys()].sort()).toEqual(['org:1', 'org:3', 'org:5', 'org:7', 'org:9'])
    expect(cache.invalidatePrefix('')).toBe(5)
    expect(cache.stats().evictions).toBe(0)
  })

  it('invalidatePrefix skips keys that are not strings; bad arguments throw', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string | number, string>('mixed', { max: 10 })
    cache.set(1, 'a').set('1x', 'b')
    expect(cache.invalidatePrefix('1')).toBe(1)
    expect(cache.has(1)).toBe(true)
    expect(() => cache.invalidatePrefix(1 as never)).toThrow(
      'cache "mixed" invalidatePrefix: argument `prefix` must be a string, got 1 (number)',
    )
    expect(() => cache.invalidateWhere('x' as never)).toThrow(TypeError)
  })

  it('a predicate that throws removes nothing', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, number>('t', { max: 10 })
    cache.set('a', 1).set('b', 2)
    expect(() =>
      cache.invalidateWhere((k) => {
        if (k === 'a') throw new Error('nope')
        return true
      }),
    ).toThrow('nope')
    expect(cache.size).toBe(2)
  })
})
