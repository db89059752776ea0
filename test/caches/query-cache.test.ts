import { QueryClient, QueryObserver, type QueryKey } from '@tanstack/query-core'
import { afterEach, describe, expect, it } from 'vitest'
import { estimateSize } from '../../src/index.js'
import { manageQueryCache } from '../../src/query.js'
import { drive } from '../support/drive.js'

const clients: QueryClient[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.clear()
})

function setup(maxQueries = 10) {
  const { pressure, errors, feed } = drive()
  const client = new QueryClient({
    defaultOptions: { queries: { gcTime: Infinity, retry: false, staleTime: Infinity } },
  })
  clients.push(client)
  const queryCache = client.getQueryCache()
  const managed = manageQueryCache(queryCache, { maxQueries })
  return { pressure, errors, feed, client, queryCache, managed }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

async function prefetch(client: QueryClient, ids: number[]): Promise<void> {
  for (const id of ids)
    await client.prefetchQuery({ queryKey: ['item', id], queryFn: async () => ({ id, name: `item ${id}` }) })
}

function ids(client: QueryClient): number[] {
  return client
    .getQueryCache()
    .getAll()
    .map((q) => (q.queryKey as [string, number])[1])
    .sort((a, b) => a - b)
}

function observe(client: QueryClient, queryKey: QueryKey) {
  const observer = new QueryObserver(client, { queryKey, queryFn: async () => 'fetched by observer' })
  return observer.subscribe(() => {})
}

describe('manageQueryCache (heapguard/query) with a real QueryClient', () => {
  it('removes the least recently updated inactive queries first; observed queries survive', async () => {
    const { pressure, client, managed } = setup()
    await prefetch(client, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const stop = observe(client, ['item', 0])
    client.setQueryData(['item', 2], { id: 2, name: 'renamed' }) // 2 becomes the most recently updated
    pressure.caches.register('queries', managed, { priority: 'optional' })
    pressure.force('warning') // optional × 0.5 → 5 queries
    expect(managed.capacity).toBe(5)
    expect(ids(client)).toEqual([0, 2, 7, 8, 9])
    pressure.force('critical') // optional × 0 → only observed queries stay
    expect(ids(client)).toEqual([0])
    expect(managed.stats()).toMatchObject({ entries: 1, capacity: 0, multiplier: 0, observed: 1, evictions: 9 })
    // Once unobserved, it goes on the next turn.
    stop()
    await turn()
    expect(ids(client)).toEqual([])
  })

  it('bounds the cache at normal: the query beyond maxQueries goes on the next turn', async () => {
    const { pressure, client, managed } = setup(5)
    pressure.caches.register('queries', managed)
    await prefetch(client, [0, 1, 2, 3, 4])
    await turn()
    expect(ids(client)).toEqual([0, 1, 2, 3, 4])
    await prefetch(client, [5, 6])
    await turn()
    expect(ids(client)).toEqual([2, 3, 4, 5, 6])
    expect(managed.stats().evictions).toBe(2)
  })

  it('never removes a query that is fetching (the rule of Query.optionalRemove)', async () => {
    const { pressure, client, managed } = setup()
    await prefetch(client, [0, 1])
    let finish!: (value: string) => void
    const fetching = client.prefetchQuery({
      queryKey: ['item', 2],
      queryFn: () => new Promise<string>((resolve) => (finish = resolve)),
    })
    pressure.caches.register('queries', managed, { priority: 'optional' })
    pressure.force('critical')
    expect(ids(client)).toEqual([2])
    finish('done')
    await fetching
    await turn()
    expect(ids(client)).toEqual([])
  })

  it('follows the reference rule: at warning it keeps a share of what it held, does not grow, and regrows after', async () => {
    const { pressure, feed, client, managed } = setup(1000)
    pressure.caches.register('queries', managed)
    await prefetch(client, [0, 1, 2, 3, 4, 5, 6, 7])
    pressure.force('warning') // normal × 0.75 of the 8 held, not of 1000
    expect(managed.capacity).toBe(6)
    expect(ids(client)).toEqual([2, 3, 4, 5, 6, 7])
    await prefetch(client, [8, 9])
    await turn()
    expect(ids(client)).toEqual([4, 5, 6, 7, 8, 9])
    pressure.force('normal')
    // Regrowth: from the 6 pressure left, slowly at first, to maxQueries once regrowMs (30 s) has passed.
    expect(managed.capacity).toBe(6)
    feed(0, 15_000)
    expect(managed.capacity).toBeGreaterThan(6)
    expect(managed.capacity).toBeLessThan(1000)
    feed(0, 30_000)
    expect(managed.capacity).toBe(1000)
    await prefetch(client, [10, 11])
    await turn()
    expect(managed.size).toBe(8)
  })

  it('reports entries, an estimated byte size of the data, hits and misses', async () => {
    const { pressure, client, queryCache, managed } = setup()
    pressure.caches.register('queries', managed, { priority: 'essential' })
    await prefetch(client, [0, 1])
    const stop = observe(client, ['item', 0]) // has data: a hit
    const stopNew = observe(client, ['item', 99]) // no data yet: a miss
    const expectedBytes = queryCache
      .getAll()
      .reduce((sum, q) => sum + estimateSize(q.state.data) + estimateSize(q.queryHash), 0)
    const [stats] = pressure.caches.stats()
    expect(stats).toMatchObject({
      name: 'queries',
      priority: 'essential',
      entries: 3,
      bytes: expectedBytes,
      capacity: 10,
      multiplier: 1,
      hits: 1,
      misses: 1,
      hitRatio: 0.5,
      byteCapacity: null,
    })
    expect(stats!.bytes).toBeGreaterThan(100)
    stop()
    stopNew()
  })

  it('attaches on register and detaches on unregister and on close', async () => {
    const { pressure, client, managed } = setup(2)
    expect(managed.attached).toBe(false)
    pressure.caches.register('queries', managed)
    expect(managed.attached).toBe(true)
    pressure.caches.unregister('queries')
    expect(managed.attached).toBe(false)
    await prefetch(client, [0, 1, 2, 3])
    await turn()
    expect(ids(client)).toEqual([0, 1, 2, 3]) // no longer bounded
    pressure.caches.register('queries', managed) // seeds from the cache and trims at once
    expect(ids(client)).toEqual([2, 3])
    pressure.close()
    expect(managed.attached).toBe(false)
  })

  it('clear() removes every inactive query and keeps observed ones', async () => {
    const { client, managed } = setup()
    await prefetch(client, [0, 1, 2])
    const stop = observe(client, ['item', 1])
    managed.clear()
    expect(ids(client)).toEqual([1])
    stop()
  })

  it('a failure in a background trim is reported on the controller, never thrown', async () => {
    const { pressure, errors, client, queryCache, managed } = setup(1)
    const boom = new Error('listener failed')
    const unsubscribe = queryCache.subscribe((event) => {
      if (event.type === 'removed') throw boom
    })
    pressure.caches.register('queries', managed)
    await prefetch(client, [0, 1])
    await turn()
    expect(errors).toEqual([boom])
    expect(ids(client)).toEqual([1])
    unsubscribe()
  })

  it('checks its arguments', () => {
    const { queryCache } = setup()
    expect(() => manageQueryCache({} as never, { maxQueries: 1 })).toThrow(
      'manageQueryCache: argument `queryCache` must be a QueryCache (queryClient.getQueryCache()), got an object',
    )
    expect(() => manageQueryCache(queryCache, undefined as never)).toThrow(
      'manageQueryCache: options are required (`maxQueries`)',
    )
    expect(() => manageQueryCache(queryCache, { maxQueries: 0 })).toThrow(RangeError)
    expect(() => manageQueryCache(queryCache, { maxQueries: 0 })).toThrow(
      'manageQueryCache: option `maxQueries` must be an integer >= 1, got 0 (number)',
    )
    expect(() => manageQueryCache(queryCache, { max: 5 } as never)).toThrow('manageQueryCache: unknown option `max`')
    expect(() => manageQueryCache(queryCache, { maxQueries: 1 }).resize(2)).toThrow(RangeError)
  })
})
