// Only `heapguard/query` reaches this module, and it imports @tanstack/query-core for types only:
// the peer is the application's own copy, never loaded by heapguard.
import type { Query, QueryCache, QueryCacheNotifyEvent } from '@tanstack/query-core'
import type { Level } from '../pressure/levels.js'
import { checkMethods, checkNumber, checkOptions, messageOf } from '../util/validate.js'
import { Capacity, checkMultiplier, checkProgress, isPressure } from './capacity.js'
import { estimateSize } from './estimate-size.js'
import { CacheCounters, type CachePriority, type CacheStats, type Managed, type ManagedContext } from './types.js'

export interface ManageQueryCacheOptions {
  /** Queries kept at full capacity (at `normal`): a whole number ≥ 1. */
  maxQueries: number
}

/** `stats()` of a managed QueryCache. */
export interface ManagedQueryCacheStats extends CacheStats {
  byteCapacity: null
  /** The configured `maxQueries`. */
  maxQueries: number
  /** Queries with at least one observer (never removed). */
  observed: number
}

/** A TanStack QueryCache under a pressure-driven bound; see `manageQueryCache`. */
export interface ManagedQueryCache extends Managed {
  /** Queries in the cache now. */
  readonly size: number
  /** Queries allowed now (`maxQueries × multiplier`, with the reference rule). */
  readonly capacity: number
  /** The multiplier of the last resize. */
  readonly multiplier: number
  /** True while subscribed to the QueryCache (from the first `resize()` until `dispose()`). */
  readonly attached: boolean
  /** Removes least-recently-updated inactive queries beyond the capacity now; returns how many. */
  trim(): number
  resize(multiplier: number, level?: Level, progress?: number): void
  stats(): ManagedQueryCacheStats
  /** Unsubscribes from the QueryCache and cancels a pending trim; `resize()` attaches again. */
  dispose(): void
}

/**
 * Bounds a TanStack Query (`@tanstack/query-core` v5) `QueryCache`, which has no size limit of
 * its own: it keeps at most `maxQueries × multiplier` queries by removing the least recently
 * updated INACTIVE queries first. A query with observers is never removed, nor one that is
 * fetching (the rule `Query.optionalRemove()` follows). Register the result:
 *
 * ```ts
 * pressure.caches.register('queries', manageQueryCache(queryClient.getQueryCache(), { maxQueries: 100 }),
 *                          { priority: 'optional' })
 * ```
 *
 * It follows the cache's events (`queryCache.subscribe`): "updated" means added or changed by
 * any action (fetch, success, error, invalidate, setData). Trims caused by events run on the next
 * turn of the event loop, never inside TanStack's notification; trims caused by `resize()` run at once.
 */
export function manageQueryCache(queryCache: QueryCache, options: ManageQueryCacheOptions): ManagedQueryCache {
  const where = 'manageQueryCache'
  checkMethods<QueryCache>(
    where,
    'argument `queryCache`',
    queryCache,
    ['subscribe', 'getAll', 'remove'],
    'be a QueryCache (queryClient.getQueryCache())',
  )
  if (options === undefined) throw new TypeError(`${where}: options are required (\`maxQueries\`)`)
  const checked = checkOptions<ManageQueryCacheOptions>(where, 'options', options, ['maxQueries'])
  const maxQueries = checkNumber(where, 'option `maxQueries`', checked.maxQueries, { min: 1, integer: true })
  return new QueryCacheManager(queryCache, maxQueries)
}

/** The byte estimate of a query's data, recomputed only when the data object changes. */
interface Tracked {
  data: unknown
  bytes: number
}

const UNKNOWN = Symbol('unknown')

function updatedAt(query: Query): number {
  return Math.max(query.state.dataUpdatedAt, query.state.errorUpdatedAt)
}

function isRemovable(query: Query): boolean {
  return query.getObserversCount() === 0 && query.state.fetchStatus === 'idle'
}

class QueryCacheManager implements ManagedQueryCache {
  readonly #queryCache: QueryCache
  readonly #reference: Capacity
  /** Queries, least recently updated first (a Map keeps insertion order; updates re-insert). */
  readonly #order = new Map<Query, Tracked>()
  #capacity: number
  #multiplier = 1
  #name = 'queries'
  #priority: CachePriority = 'normal'
  /** Until a registry hands its own (`onRegister`): a process warning with a code, as `warnOnce` gives. */
  #report: (error: unknown) => void = (error) =>
    process.emitWarning(`heapguard: query cache: ${messageOf(error)}`, {
      type: 'HeapguardWarning',
      code: 'HEAPGUARD_QUERY_CACHE',
      ...(error instanceof Error && error.stack !== undefined ? { detail: error.stack } : {}),
    })
  #unsubscribe: (() => void) | undefined
  #pendingTrim: NodeJS.Immediate | undefined
  readonly #counters = new CacheCounters()

  constructor(queryCache: QueryCache, maxQueries: number) {
    this.#queryCache = queryCache
    this.#reference = new Capacity(maxQueries)
    this.#capacity = maxQueries
  }

  get size(): number {
    return this.#unsubscribe === undefined ? this.#queryCache.getAll().length : this.#order.size
  }

  get capacity(): number {
    return this.#capacity
  }

  get multiplier(): number {
    return this.#multiplier
  }

  get attached(): boolean {
    return this.#unsubscribe !== undefined
  }

  onRegister(context: ManagedContext): void {
    this.#name = context.name
    this.#priority = context.priority
    this.#report = context.report
  }

  /** As a managed LRU cache: the reference rule under pressure, and regrowth by `progress` (0..1) after it. */
  resize(multiplier: number, level?: Level, progress?: number): void {
    const where = `manageQueryCache "${this.#name}" resize`
    checkMultiplier(where, multiplier)
    const share = checkProgress(where, progress)
    this.#attach()
    this.#multiplier = multiplier
    const pressure = isPressure(multiplier, level)
    this.#capacity = this.#reference.resize(multiplier, pressure, () => this.#order.size, share)
    this.trim()
  }

  /** Removes every inactive query (observed and fetching queries stay). */
  clear(): void {
    for (const query of this.#queryCache.getAll()) if (isRemovable(query)) this.#remove(query)
  }

  trim(): number {
    this.#cancelPendingTrim()
    let excess = this.size - this.#capacity
    if (excess <= 0) return 0
    const doomed: Query[] = []
    const queries = this.#unsubscribe === undefined ? this.#queryCache.getAll() : this.#order.keys()
    for (const query of queries) {
      if (excess === 0) break
      if (isRemovable(query)) {
        doomed.push(query)
        excess--
      }
    }
    for (const query of doomed) this.#remove(query)
    this.#counters.evictions += doomed.length
    return doomed.length
  }

  stats(): ManagedQueryCacheStats {
    let bytes = 0
    let observed = 0
    const tracked = this.#unsubscribe !== undefined
    for (const query of tracked ? this.#order.keys() : this.#queryCache.getAll()) {
      if (query.getObserversCount() > 0) observed++
      bytes += tracked ? this.#bytesOf(query) : estimateSize(query.state.data) + estimateSize(query.queryHash)
    }
    return {
      ...this.#counters.stats(this.#name, this.#priority, {
        entries: this.size,
        bytes,
        capacity: this.#capacity,
        multiplier: this.#multiplier,
      }),
      byteCapacity: null,
      maxQueries: this.#reference.max,
      observed,
    }
  }

  dispose(): void {
    this.#cancelPendingTrim()
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    this.#order.clear()
  }

  #attach(): void {
    if (this.#unsubscribe !== undefined) return
    // Seed the order from the timestamps TanStack keeps; events keep it from here on.
    const queries = this.#queryCache.getAll().sort((a, b) => updatedAt(a) - updatedAt(b))
    for (const query of queries) this.#order.set(query, { data: UNKNOWN, bytes: 0 })
    this.#unsubscribe = this.#queryCache.subscribe(this.#onEvent)
  }

  readonly #onEvent = (event: QueryCacheNotifyEvent): void => {
    const query = event.query as Query
    switch (event.type) {
      case 'added':
        this.#order.set(query, { data: UNKNOWN, bytes: 0 })
        break
      case 'removed':
        this.#order.delete(query)
        return
      case 'updated': {
        const tracked = this.#order.get(query) ?? { data: UNKNOWN, bytes: 0 }
        this.#order.delete(query)
        this.#order.set(query, tracked)
        break
      }
      case 'observerAdded':
        if (query.state.data === undefined) this.#counters.misses++
        else this.#counters.hits++
        return
      case 'observerRemoved':
        break
      default:
        return
    }
    if (this.#order.size > this.#capacity) this.#scheduleTrim()
  }

  /**
   * Trims on the next turn: removing queries inside TanStack's own notification would reorder its
   * events. The immediate is not unref'd (an unref'd one waits for something else to wake the
   * loop); it runs once, and `dispose()` clears it.
   */
  #scheduleTrim(): void {
    if (this.#pendingTrim !== undefined) return
    this.#pendingTrim = setImmediate(() => {
      this.#pendingTrim = undefined
      try {
        this.trim()
      } catch (error) {
        this.#report(error)
      }
    })
  }

  #cancelPendingTrim(): void {
    if (this.#pendingTrim === undefined) return
    clearImmediate(this.#pendingTrim)
    this.#pendingTrim = undefined
  }

  #remove(query: Query): void {
    this.#queryCache.remove(query)
    // remove() is a no-op for a query no longer in the cache; forget it either way.
    this.#order.delete(query)
  }

  #bytesOf(query: Query): number {
    const tracked = this.#order.get(query)
    if (tracked === undefined) return 0
    const data: unknown = query.state.data
    if (tracked.data !== data) {
      tracked.data = data
      tracked.bytes = estimateSize(data) + estimateSize(query.queryHash)
    }
    return tracked.bytes
  }
}
