import { describe, expect, it } from 'vitest'
import { deferred } from '../../support/deferred.js'
import { drive } from '../../support/drive.js'

function setup() {
  const { pressure } = drive()
  const cache = pressure.caches.lru<string, string>('perms', { max: 100 })
  return { pressure, cache }
}

describe('getOrLoad', () => {
  it('loads on a miss, stores the value, serves the next call from the cache', async () => {
    const { cache } = setup()
    let calls = 0
    const loader = async (key: string) => {
      calls++
      return `value of ${key}`
    }
    expect(await cache.getOrLoad('a', loader)).toBe('value of a')
    expect(cache.get('a')).toBe('value of a')
    expect(await cache.getOrLoad('a', loader)).toBe('value of a')
    expect(calls).toBe(1)
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, loads: 1, loadFailures: 0 })
  })

  it('concurrent loads of one key share one loader call and one promise', async () => {
    const { cache } = setup()
    const pending = deferred<string>()
    let calls = 0
    const loader = () => {
      calls++
      return pending.promise
    }
    const first = cache.getOrLoad('k', loader)
    const second = cache.getOrLoad('k', loader)
    const other = cache.getOrLoad('other', async () => 'o')
    expect(second).toBe(first)
    expect(calls).toBe(1)
    pending.resolve('shared')
    expect(await Promise.all([first, second, other])).toEqual(['shared', 'shared', 'o'])
    expect(cache.get('k')).toBe('shared')
    expect(cache.stats()).toMatchObject({ loads: 2, misses: 3, hits: 1 })
  })

  it('a loader that rejects caches nothing, clears the in-flight entry, and the next call retries', async () => {
    const { cache } = setup()
    const failure = new Error('backend down')
    const pending = deferred<string>()
    const first = cache.getOrLoad('k', () => pending.promise)
    const joined = cache.getOrLoad('k', () => Promise.resolve('never called'))
    pending.reject(failure)
    await expect(first).rejects.toBe(failure)
    await expect(joined).rejects.toBe(failure)
    expect(cache.has('k')).toBe(false)
    expect(await cache.getOrLoad('k', async () => 'recovered')).toBe('recovered')
    expect(cache.stats()).toMatchObject({ loads: 2, loadFailures: 1 })
  })

  it('bad arguments reject the returned promise, like shed.run and withTimeout; they never throw at the call', async () => {
    const { cache } = setup()
    let calls: Promise<string>[] = []
    expect(() => {
      calls = [
        cache.getOrLoad('k', 'fetch' as never),
        cache.getOrLoad('k', () => Promise.resolve('v'), 'bypass' as never),
        cache.getOrLoad('k', () => Promise.resolve('v'), { force: true } as never),
        cache.getOrLoad('k', () => Promise.resolve('v'), { bypass: 'yes' } as never),
      ]
    }).not.toThrow()
    await expect(calls[0]).rejects.toThrow(
      new TypeError('cache "perms" getOrLoad: argument `loader` must be a function, got "fetch" (string)'),
    )
    await expect(calls[1]).rejects.toThrow(TypeError)
    await expect(calls[2]).rejects.toThrow('cache "perms" getOrLoad: unknown option `force`')
    await expect(calls[3]).rejects.toThrow(
      'cache "perms" getOrLoad: option `bypass` must be a boolean, got "yes" (string)',
    )
    expect(cache.stats()).toMatchObject({ loads: 0, misses: 0 })
  })

  it('a loader that throws synchronously rejects and caches nothing', async () => {
    const { cache } = setup()
    const failure = new Error('sync')
    await expect(
      cache.getOrLoad('k', () => {
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(cache.has('k')).toBe(false)
    expect(await cache.getOrLoad('k', () => 'plain value')).toBe('plain value')
  })

  it('bypass always loads fresh and refreshes the entry, even over a hit or a load in flight', async () => {
    const { cache } = setup()
    cache.set('user:1:can-delete', 'yes')
    let calls = 0
    const check = async () => {
      calls++
      return 'no'
    }
    expect(await cache.getOrLoad('user:1:can-delete', check, { bypass: true })).toBe('no')
    expect(calls).toBe(1)
    expect(cache.get('user:1:can-delete')).toBe('no')

    // A plain load in flight does not serve a bypass; the older load must not overwrite the fresh answer.
    const slow = deferred<string>()
    const plain = cache.getOrLoad('role', () => slow.promise)
    cache.delete('role')
    const fresh = cache.getOrLoad('role', async () => 'admin-revoked', { bypass: true })
    expect(fresh).not.toBe(plain)
    expect(await fresh).toBe('admin-revoked')
    slow.resolve('admin')
    expect(await plain).toBe('admin') // its own callers still get their answer
    expect(cache.get('role')).toBe('admin-revoked')
    // A bypass is not a lookup: the two hits are the get() calls above, the miss the plain load.
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, loads: 3 })
  })

  it('later plain calls join a bypass load in flight', async () => {
    const { cache } = setup()
    const pending = deferred<string>()
    const fresh = cache.getOrLoad('k', () => pending.promise, { bypass: true })
    const joined = cache.getOrLoad('k', async () => 'other')
    expect(joined).toBe(fresh)
    pending.resolve('v')
    expect(await joined).toBe('v')
  })

  it('a set, delete or invalidation while a load runs keeps the stale load from writing', async () => {
    const { cache } = setup()
    const cases: [string, () => unknown][] = [
      ['set', () => cache.set('k', 'newer')],
      ['invalidate', () => cache.invalidate('k')],
      ['invalidatePrefix', () => cache.invalidatePrefix('k')],
      ['invalidateWhere', () => cache.invalidateWhere(() => true)],
      ['clear', () => cache.clear()],
    ]
    for (const [name, interfere] of cases) {
      cache.clear()
      const pending = deferred<string>()
      const load = cache.getOrLoad('k', () => pending.promise)
      interfere()
      pending.resolve('stale')
      expect({ name, value: await load }).toEqual({ name, value: 'stale' })
      expect({ name, cached: cache.peek('k') }).toEqual({ name, cached: name === 'set' ? 'newer' : undefined })
    }
  })

  it('a value of undefined is returned but not stored', async () => {
    const { cache } = setup()
    expect(await cache.getOrLoad('k', async () => undefined as unknown as string)).toBeUndefined()
    expect(cache.has('k')).toBe(false)
  })

  it('on a disabled cache it still loads and de-duplicates, but stores nothing', async () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<string, string>('off', { max: 10, priority: 'optional' })
    pressure.force('critical')
    let calls = 0
    const loader = async () => {
      calls++
      return 'v'
    }
    const [a, b] = await Promise.all([cache.getOrLoad('k', loader), cache.getOrLoad('k', loader)])
    expect([a, b, calls, cache.size]).toEqual(['v', 'v', 1, 0])
  })
})
