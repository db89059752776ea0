import { describe, expect, it, vi } from 'vitest'
import {
  createController,
  DEFAULT_CACHE_POLICY,
  type CacheStats,
  type Level,
  type Managed,
  type ManagedLru,
} from '../../src/index.js'
import { drive } from '../support/drive.js'
import { fill } from './helpers.js'

/** A hand-written `Managed`, recording the resizes it receives. */
function fake(name = 'fake') {
  const calls: [number, Level | undefined][] = []
  let multiplier = 1
  const managed = {
    calls,
    disposed: 0,
    resize(m: number, level?: Level) {
      calls.push([m, level])
      multiplier = m
    },
    clear() {},
    stats(): CacheStats {
      return {
        name,
        priority: 'normal',
        entries: 3,
        bytes: 30,
        capacity: 10 * multiplier,
        multiplier,
        hits: 1,
        misses: 1,
        evictions: 0,
        hitRatio: 0.5,
      }
    },
    dispose() {
      managed.disposed++
    },
  } satisfies Managed & Record<string, unknown>
  return managed
}

describe('cachePolicy', () => {
  it('merges a partial table over the defaults', () => {
    const { pressure } = drive({ cachePolicy: { warning: { optional: 0.25 }, emergency: { essential: 0 } } })
    expect(pressure.caches.policy.warning).toEqual({ essential: 1, normal: 0.75, optional: 0.25 })
    expect(pressure.caches.policy.emergency).toEqual({ essential: 0, normal: 0.1, optional: 0 })
    expect(pressure.caches.policy.critical).toEqual(DEFAULT_CACHE_POLICY.critical)
    const cache = pressure.caches.lru<string, string>('o', { max: 100, priority: 'optional' })
    fill(cache, 100)
    pressure.force('warning')
    expect(cache.size).toBe(25)
    expect(pressure.caches.multiplier('optional')).toBe(0.25)
    expect(pressure.caches.multiplier('essential', 'emergency')).toBe(0)
  })

  it('the default table is the contract table, frozen', () => {
    expect(DEFAULT_CACHE_POLICY).toEqual({
      normal: { essential: 1, normal: 1, optional: 1 },
      warning: { essential: 1, normal: 0.75, optional: 0.5 },
      critical: { essential: 0.75, normal: 0.5, optional: 0 },
      emergency: { essential: 0.5, normal: 0.1, optional: 0 },
    })
    expect(Object.isFrozen(DEFAULT_CACHE_POLICY)).toBe(true)
    expect(Object.isFrozen(DEFAULT_CACHE_POLICY.warning)).toBe(true)
  })

  it.each([
    [{ cachePolicy: 'x' }, TypeError, 'createController: cachePolicy must be an object, got "x" (string)'],
    [
      { cachePolicy: { elevated: {} } },
      TypeError,
      'createController: unknown key in cachePolicy `elevated` (known: normal, warning, critical, emergency)',
    ],
    [
      { cachePolicy: { warning: 0.5 } },
      TypeError,
      'createController: cachePolicy.warning must be an object, got 0.5 (number)',
    ],
    [
      { cachePolicy: { warning: { low: 0.5 } } },
      TypeError,
      'createController: unknown key in cachePolicy.warning `low` (known: essential, normal, optional)',
    ],
    [
      { cachePolicy: { warning: { normal: 1.5 } } },
      RangeError,
      'createController: option `cachePolicy.warning.normal` must be a finite number >= 0 and <= 1, got 1.5 (number)',
    ],
    [
      { cachePolicy: { critical: { optional: -0.1 } } },
      RangeError,
      'createController: option `cachePolicy.critical.optional` must be a finite number >= 0 and <= 1, got -0.1 (number)',
    ],
    [
      { cachePolicy: { emergency: { essential: Number.NaN } } },
      RangeError,
      'option `cachePolicy.emergency.essential` must be a finite number >= 0 and <= 1, got NaN (number)',
    ],
    [
      { cachePolicy: { normal: { normal: '1' } } },
      TypeError,
      'option `cachePolicy.normal.normal` must be a finite number >= 0 and <= 1, got "1" (string)',
    ],
  ])('rejects %j', (options, type, message) => {
    const build = () =>
      createController({
        autoStart: false,
        sources: [{ name: 'f', read: () => ({ used: 0, limit: 1 }) }],
        ...(options as object),
      })
    expect(build).toThrow(type)
    expect(build).toThrow(message)
  })
})

describe('caches.lru() options', () => {
  it.each([
    [undefined, TypeError, 'caches.lru("c"): options are required (at least `max`)'],
    [{}, TypeError, 'caches.lru("c"): option `max` must be an integer >= 1, got undefined (undefined)'],
    [{ max: 0 }, RangeError, 'caches.lru("c"): option `max` must be an integer >= 1, got 0 (number)'],
    [{ max: 1.5 }, RangeError, 'option `max` must be an integer >= 1, got 1.5 (number)'],
    [{ max: Infinity }, RangeError, 'option `max` must be an integer >= 1, got Infinity (number)'],
    [{ max: 10, maxSize: -1 }, RangeError, 'option `maxSize` must be an integer >= 1, got -1 (number)'],
    [
      { max: 10, priority: 'high' },
      RangeError,
      "option `priority` must be one of 'essential', 'normal', 'optional', got \"high\" (string)",
    ],
    [{ max: 10, ttl: -5 }, RangeError, 'option `ttl` must be an integer >= 0, got -5 (number)'],
    [{ max: 10, sizeCalculation: 5 }, TypeError, 'option `sizeCalculation` must be a function, got 5 (number)'],
    [{ max: 10, dispose: 'no' }, TypeError, 'option `dispose` must be a function, got "no" (string)'],
    [{ max: 10, allowStale: 1 }, TypeError, 'option `allowStale` must be a boolean, got 1 (number)'],
    [{ max: 10, perf: {} }, TypeError, 'option `perf` must be an object with a now() method, got an object'],
    [{ max: 10, fetchMethod: () => 1 }, TypeError, 'caches.lru("c"): unknown option `fetchMethod`'],
  ])('rejects %j', (options, type, message) => {
    const { pressure } = drive()
    const build = () => pressure.caches.lru('c', options as never)
    expect(build).toThrow(type)
    expect(build).toThrow(message)
    expect(pressure.caches.has('c')).toBe(false)
  })

  it('rejects a bad or duplicate name', () => {
    const { pressure } = drive()
    pressure.caches.lru('users', { max: 10 })
    expect(() => pressure.caches.lru('users', { max: 20 })).toThrow(
      'caches.lru("users"): a cache named "users" is already registered with other options: option `max` was 10 (number), now 20 (number)',
    )
    expect(() => pressure.caches.lru('', { max: 10 })).toThrow(TypeError)
    expect(() => pressure.caches.lru(42 as never, { max: 10 })).toThrow(
      'caches.lru(): argument `name` must be a non-empty string, got 42 (number)',
    )
    expect(() => pressure.caches.register('users', fake())).toThrow(
      'caches.register("users"): a cache named "users" is already registered',
    )
  })
})

describe('caches.lru() again for a name: one cache across bundles and hot reloads', () => {
  interface Mentor {
    id: string
    bio: string
  }
  // What each bundle (or each reload of a module) builds: its own object and its own functions.
  const optionsOfOneBundle = () => ({
    max: 500,
    maxSize: 1_000_000,
    sizeCalculation: (mentor: Mentor, key: string) => mentor.bio.length + key.length + 64,
    ttl: 60_000,
    priority: 'optional' as const,
    perf: { now: () => performance.now() },
  })

  it('returns the same cache, typed, for equal options built separately (functions compared by source)', () => {
    const { pressure } = drive()
    const first = pressure.caches.lru<string, Mentor>('mentors', optionsOfOneBundle())
    first.set('ada', { id: 'ada', bio: 'x' })
    const again: ManagedLru<string, Mentor> = pressure.caches.lru<string, Mentor>('mentors', optionsOfOneBundle())
    expect(again).toBe(first)
    expect(again.get('ada')?.bio).toBe('x')
    // sizeCalculation written twice, by hand, with the same text
    const a = pressure.caches.lru<string, string>('notes', { max: 5, sizeCalculation: (v) => v.length + 1 })
    const b = pressure.caches.lru<string, string>('notes', { max: 5, sizeCalculation: (v) => v.length + 1 })
    expect(b).toBe(a)
    // priority left out equals its default
    const c = pressure.caches.lru('plain', { max: 3 })
    expect(pressure.caches.lru('plain', { max: 3, priority: 'normal' })).toBe(c)
    expect(pressure.caches.names()).toEqual(['mentors', 'notes', 'plain'])
  })

  it('throws naming the option that differs; a name held by register() throws; after unregister a new cache is made', () => {
    const { pressure } = drive()
    const first = pressure.caches.lru<string, string>('notes', { max: 5, sizeCalculation: (v) => v.length + 1 })
    expect(() =>
      pressure.caches.lru<string, string>('notes', { max: 5, sizeCalculation: (v) => v.length + 2 }),
    ).toThrow(
      'caches.lru("notes"): a cache named "notes" is already registered with other options: option `sizeCalculation` was (v) => v.length + 1, now (v) => v.length + 2',
    )
    expect(() => pressure.caches.lru('notes', { max: 5, ttl: 10 })).toThrow(/option `sizeCalculation` was|option `ttl`/)
    expect(() => pressure.caches.lru('notes', { max: 5, priority: 'optional' } as never)).toThrow(
      /option `(priority|sizeCalculation)`/,
    )
    expect(() => pressure.caches.lru('notes', { max: -1 })).toThrow(RangeError)
    pressure.caches.register('queries', fake())
    expect(() => pressure.caches.lru('queries', { max: 5 })).toThrow(
      'caches.lru("queries"): the name "queries" is held by a cache registered with caches.register()',
    )
    pressure.caches.unregister('notes')
    expect(pressure.caches.lru('notes', { max: 9 })).not.toBe(first)
    pressure.close()
    expect(() => pressure.caches.lru('notes', { max: 9 })).toThrow('called after the controller was closed')
  })
})

describe('caches.register() and any Managed', () => {
  it('resizes at once and on every level change, passing the multiplier and the level', () => {
    const { pressure } = drive()
    const managed = fake()
    expect(pressure.caches.register('ext', managed, { priority: 'optional' })).toBe(managed)
    expect(managed.calls).toEqual([[1, 'normal']])
    pressure.force('warning')
    pressure.force('emergency')
    pressure.force('normal')
    expect(managed.calls).toEqual([
      [1, 'normal'],
      [0.5, 'warning'],
      [0, 'emergency'],
      [1, 'normal'],
    ])
    expect(pressure.caches.get('ext')).toBe(managed)
  })

  it('registered under pressure, starts at the current multiplier', () => {
    const { pressure } = drive()
    pressure.force('critical')
    const managed = fake()
    pressure.caches.register('late', managed, { priority: 'essential' })
    expect(managed.calls).toEqual([[0.75, 'critical']])
  })

  it("reports the registry's name and priority in stats()", () => {
    const { pressure } = drive()
    pressure.caches.register('mine', fake('other-name'), { priority: 'essential' })
    pressure.caches.lru('users', { max: 5 })
    const stats = pressure.caches.stats()
    expect(stats.map((s) => [s.name, s.priority])).toEqual([
      ['mine', 'essential'],
      ['users', 'normal'],
    ])
    expect(pressure.caches.names()).toEqual(['mine', 'users'])
  })

  it('reports a resize that throws or rejects, and a stats() that throws, on the error event', async () => {
    const { pressure, errors } = drive()
    const boom = new Error('resize failed')
    const later = new Error('async resize failed')
    const statsBoom = new Error('no stats')
    const throwing: Managed = {
      resize: (m) => {
        if (m < 1) throw boom
      },
      clear() {},
      stats: () => {
        throw statsBoom
      },
    }
    const rejecting: Managed = {
      resize: (m) => (m < 1 ? Promise.reject(later) : undefined),
      clear() {},
      stats: () => fake().stats(),
    }
    pressure.caches.register('t', throwing)
    pressure.caches.register('r', rejecting)
    const ok = pressure.caches.lru<string, string>('ok', { max: 10 })
    fill(ok, 10)
    pressure.force('warning')
    expect(ok.size).toBe(7) // one failing cache does not stop the others
    await new Promise((r) => setImmediate(r))
    expect(errors).toEqual([boom, later])
    expect(pressure.caches.stats().map((s) => s.name)).toEqual(['r', 'ok'])
    expect(errors).toEqual([boom, later, statsBoom])
  })

  it('rejects what is not a Managed, bad options, and one cache under two names', () => {
    const { pressure } = drive()
    expect(() => pressure.caches.register('x', {} as never)).toThrow(
      'caches.register("x"): argument `managed` must implement resize(), clear() and stats(), got an object',
    )
    expect(() => pressure.caches.register('x', null as never)).toThrow(TypeError)
    expect(() => pressure.caches.register('x', fake(), { priority: 'low' as never })).toThrow(RangeError)
    expect(() => pressure.caches.register('x', fake(), { prio: 'low' } as never)).toThrow(
      'caches.register("x"): unknown option `prio`',
    )
    const managed = fake()
    pressure.caches.register('a', managed)
    expect(() => pressure.caches.register('b', managed)).toThrow(
      'caches.register("b"): this cache is already registered as "a"',
    )
    const cache = pressure.caches.lru('c', { max: 1 })
    expect(() => pressure.caches.register('d', cache)).toThrow('already registered as "c"')
  })

  it('unregister stops resizing and calls dispose(); the name can be reused', () => {
    const { pressure } = drive()
    const managed = fake()
    pressure.caches.register('ext', managed)
    expect(pressure.caches.unregister('ext')).toBe(true)
    expect(pressure.caches.unregister('ext')).toBe(false)
    expect(managed.disposed).toBe(1)
    pressure.force('emergency')
    expect(managed.calls).toEqual([[1, 'normal']])
    expect(pressure.caches.get('ext')).toBeUndefined()
    expect(pressure.caches.stats()).toEqual([])
    pressure.caches.register('ext', managed)
    expect(managed.calls.at(-1)).toEqual([0.1, 'emergency'])
  })

  it('an unregistered lru goes back to its full max and works as a plain cache', () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('solo', { max: 100 })
    fill(cache, 100)
    pressure.force('warning')
    expect(cache.capacity).toBe(75)
    pressure.caches.unregister('solo')
    expect(cache.stats()).toMatchObject({ capacity: 100, multiplier: 1, entries: 75 })
    pressure.force('emergency')
    fill(cache, 100, 'again')
    expect(cache.size).toBe(100)
  })

  it('close() disposes every Managed, releases lru caches and refuses new caches', () => {
    const { pressure } = drive()
    const a = fake()
    const b = fake()
    pressure.caches.register('a', a)
    pressure.caches.register('b', b)
    const cache = pressure.caches.lru<string, string>('c', { max: 10, priority: 'optional' })
    pressure.force('critical')
    expect(cache.disabled).toBe(true)
    pressure.close()
    expect([a.disposed, b.disposed]).toEqual([1, 1])
    expect(cache.capacity).toBe(10)
    expect(() => pressure.caches.lru('late', { max: 1 })).toThrow(
      'caches.lru("late"): called after the controller was closed',
    )
  })

  it('a dispose() that throws is reported', () => {
    const { pressure, errors } = drive()
    const boom = new Error('dispose failed')
    const managed = {
      ...fake(),
      dispose: vi.fn(() => {
        throw boom
      }),
    }
    pressure.caches.register('x', managed)
    pressure.caches.unregister('x')
    expect(errors).toEqual([boom])
  })
})
