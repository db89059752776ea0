import { afterEach, describe, expect, it } from 'vitest'
import { createController, type Controller, type ControllerOptions, type ManagedLru } from '../../src/index.js'
import { drive } from '../support/drive.js'

const opened: Controller[] = []
afterEach(() => {
  for (const p of opened.splice(0)) p.close()
})

function open(budget: number, options: ControllerOptions = {}) {
  const d = drive({ caches: { budget }, ...options })
  opened.push(d.pressure)
  return d
}

type Cache = ManagedLru<string, string>
/** A cache whose entries weigh 1 byte each, so the budget counts entries. */
const unit = (p: Controller, name: string, priority: 'optional' | 'normal' | 'essential' = 'normal'): Cache =>
  p.caches.lru<string, string>(name, { max: 100, sizeCalculation: () => 1, priority })
const keys = (cache: Cache) => [...cache.keys()].reverse() // least recently used first

describe('one byte budget for all caches', () => {
  it('evicts the least recently used entry of all caches, whichever cache the set was in', () => {
    const { pressure } = open(10)
    const a = unit(pressure, 'a')
    const b = unit(pressure, 'b')
    for (let i = 1; i <= 5; i++) a.set(`a${i}`, 'v')
    for (let i = 1; i <= 5; i++) b.set(`b${i}`, 'v')
    a.set('a6', 'v') // the coldest of all is a1
    expect(keys(a)).toEqual(['a2', 'a3', 'a4', 'a5', 'a6'])
    a.get('a2') // a2 becomes the most recently used anywhere
    b.set('b6', 'v') // the coldest is now a3, in the other cache
    expect(keys(a)).toEqual(['a4', 'a5', 'a6', 'a2'])
    expect(keys(b)).toEqual(['b1', 'b2', 'b3', 'b4', 'b5', 'b6'])
    b.get('b1')
    a.set('a7', 'v') // coldest: a4
    b.set('b7', 'v') // coldest: a5
    expect(keys(a)).toEqual(['a6', 'a2', 'a7'])
    expect(pressure.caches.budget).toEqual({ limit: 10, used: 10, evictions: 4 })
  })

  it('takes from the lowest-priority caches first, however recently they were used', () => {
    const { pressure } = open(10)
    const essential = unit(pressure, 'sessions', 'essential')
    const normal = unit(pressure, 'users', 'normal')
    const optional = unit(pressure, 'pages', 'optional')
    for (let i = 0; i < 4; i++) essential.set(`s${i}`, 'v')
    for (let i = 0; i < 4; i++) normal.set(`u${i}`, 'v')
    for (let i = 0; i < 2; i++) optional.set(`p${i}`, 'v')
    essential.set('s4', 'v') // optional gives first, though its entries are the newest
    normal.set('u4', 'v')
    expect(optional.size).toBe(0)
    essential.set('s5', 'v') // then normal: its coldest
    expect(keys(normal)).toEqual(['u1', 'u2', 'u3', 'u4'])
    expect(essential.size).toBe(6)
    optional.set('p9', 'v') // an optional entry does not fit in a budget full of more important ones
    expect(optional.size).toBe(0)
    expect(pressure.caches.budget!.used).toBe(10)
  })

  it('counts estimated bytes for caches without sizeCalculation or maxSize', () => {
    const { pressure } = open(4096)
    const rows = pressure.caches.lru<string, string>('rows', { max: 1000 })
    for (let i = 0; i < 100; i++) rows.set(`row:${i}`, 'x'.repeat(100))
    const stats = rows.stats()
    expect(stats.bytesEstimated).toBe(true) // sized by the default estimator, not by a sizeCalculation
    expect(stats.bytes).toBeLessThanOrEqual(4096)
    expect(stats.bytes).toBeGreaterThan(4096 - 300)
    expect(rows.size).toBeLessThan(100)
    expect(pressure.caches.budget!.used).toBe(stats.bytes)
  })

  it('works with the level multipliers: the smaller bound wins', () => {
    // regrowMs 0: back at normal the level's bound is lifted at once (gradual regrowth: test/caches/regrowth*).
    const { pressure, feed } = open(60, { regrowMs: 0 })
    const a = unit(pressure, 'a')
    for (let i = 0; i < 50; i++) a.set(`k${i}`, 'v')
    feed(0.7) // warning: 0.75 of the 50 held
    expect(a.size).toBe(37)
    for (let i = 50; i < 100; i++) a.set(`k${i}`, 'v')
    expect(a.size).toBe(37) // the level's bound is the smaller one
    const b = unit(pressure, 'b') // created under pressure: holds nothing until normal
    feed(0, 10_000)
    feed(0, 20_000)
    feed(0, 30_000)
    expect(pressure.level).toBe('normal')
    for (let i = 0; i < 100; i++) a.set(`n${i}`, 'v')
    expect(a.size).toBe(60) // now the budget is
    for (let i = 0; i < 10; i++) b.set(`b${i}`, 'v')
    expect(a.size + b.size).toBe(60)
  })

  it('obeys each cache own maxSize too', () => {
    const { pressure } = open(1000)
    const small = pressure.caches.lru<string, string>('small', { max: 100, maxSize: 5, sizeCalculation: () => 1 })
    for (let i = 0; i < 10; i++) small.set(`k${i}`, 'v')
    expect(small.size).toBe(5)
  })

  it('takes a ratio of the heap source limit', () => {
    const heap = { name: 'heap', read: () => ({ used: 0, limit: 1000 }) }
    const pressure = createController({ sources: [heap], autoStart: false, caches: { budget: 0.25 } })
    opened.push(pressure)
    expect(pressure.caches.budget).toEqual({ limit: 250, used: 0, evictions: 0 })
  })

  it('is absent without a budget; caches then keep values as they are', () => {
    const { pressure } = drive()
    opened.push(pressure)
    expect(pressure.caches.budget).toBeNull()
  })

  it('hands users their values, never the budget wrapper: get, peek, iteration, disposers, getOrLoad, invalidation', async () => {
    const disposed: [string, string, string][] = []
    const { pressure } = open(3)
    const c = pressure.caches.lru<string, string>('c', {
      max: 10,
      sizeCalculation: (value) => value.length,
      dispose: (value, key, reason) => disposed.push([key, value, reason]),
    })
    c.set('a', 'x')
    c.set('b', 'y')
    expect(c.get('a')).toBe('x')
    expect(c.peek('b')).toBe('y')
    expect([...c.values()]).toEqual(['x', 'y'])
    expect([...c.entries()]).toEqual([
      ['a', 'x'],
      ['b', 'y'],
    ])
    expect(await c.getOrLoad('c', () => 'z')).toBe('z')
    expect(await c.getOrLoad('c', () => 'never')).toBe('z')
    c.set('d', 'w') // over the budget of 3: b is the coldest
    expect(disposed).toEqual([['b', 'y', 'evict']])
    expect(c.invalidateWhere((_key, value) => value === 'x')).toBe(1)
    c.set('big', 'vv', { sizeCalculation: (value) => value.length })
    expect(c.stats().bytes).toBeLessThanOrEqual(3)
  })

  it('disposes as a plain cache does: setting the same value again is not a disposal, a new value is', () => {
    const disposed: string[] = []
    const after: string[] = []
    const { pressure } = open(100)
    const c = pressure.caches.lru<string, string>('c', {
      max: 10,
      sizeCalculation: () => 1,
      dispose: (value, _key, reason) => disposed.push(`${value}:${reason}`),
      disposeAfter: (value, _key, reason) => after.push(`${value}:${reason}`),
    })
    const same = 'v1'
    c.set('k', same)
    c.set('k', same)
    expect(disposed).toEqual([])
    c.set('k', 'v2')
    expect(disposed).toEqual(['v1:set'])
    expect(after).toEqual(['v1:set'])
  })

  it('lets go of a cache that is unregistered: its sets no longer evict from the others', () => {
    const { pressure } = open(4)
    const a = unit(pressure, 'a')
    const b = unit(pressure, 'b')
    for (let i = 0; i < 2; i++) a.set(`a${i}`, 'v')
    for (let i = 0; i < 2; i++) b.set(`b${i}`, 'v')
    pressure.caches.unregister('a')
    for (let i = 2; i < 6; i++) a.set(`a${i}`, 'v')
    expect(b.size).toBe(2)
    expect(a.get('a5')).toBe('v')
    expect(pressure.caches.budget!.used).toBe(2)
  })
})
