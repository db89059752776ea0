import type { LRUCache } from 'lru-cache'
import { LEVELS, type Level } from '../../pressure/levels.js'
import { checkFunction, checkOneOf, describe } from '../../util/validate.js'
import { Capacity, checkMultiplier, checkProgress, HeldRoom, isPressure } from '../capacity.js'
import type { CachePool, PoolMember } from '../pool.js'
import type { SliceTrimmer, TrimJob } from '../trim.js'
import { CacheCounters, type CachePriority, type CacheStats, type Managed } from '../types.js'
import { checkLoad, InFlightLoads, type GetOrLoadOptions, type Loader } from './loader.js'
import type { ResolvedLruOptions } from './options.js'
import { createStore, type LruStore } from './store.js'

export type { GetOrLoadOptions } from './loader.js'

/**
 * An LRU cache (lru-cache v11 underneath) whose capacity follows memory pressure. Create it with
 * `pressure.caches.lru(name, options)`.
 *
 * lru-cache fixes `max` and `maxSize` at construction, so this cache enforces its CURRENT
 * capacity on top: after a level change, entries beyond `capacity` (and bytes beyond the byte
 * capacity) are evicted least-recently-used first, large trims in slices that yield to the event
 * loop; `set` never takes the cache past its capacity (nor, while a trim is in progress, past what
 * it holds); at multiplier 0 `get` misses and `set` stores nothing.
 */
export interface ManagedLru<K extends {}, V extends {}> extends Managed {
  readonly name: string
  readonly priority: CachePriority
  /** The value for `key` (marking it recently used), or undefined; counts a hit or a miss. */
  get(key: K, options?: LRUCache.GetOptions<K, V, unknown>): V | undefined
  /**
   * Stores `value` under `key`, evicting least-recently-used entries so that the cache stays
   * within its current capacity (entries and bytes). While a large trim is still evicting in
   * slices, a set never makes the cache bigger than it already is. Does nothing while the cache
   * is disabled (multiplier 0).
   */
  set(key: K, value: V, options?: LRUCache.SetOptions<K, V, unknown>): this
  /** True when `key` is held (and not stale); not counted as a lookup. */
  has(key: K, options?: LRUCache.HasOptions<K, V, unknown>): boolean
  /** The value for `key` without marking it used or counting a lookup. */
  peek(key: K, options?: LRUCache.PeekOptions<K, V, unknown>): V | undefined
  /** Removes `key` (and makes a load of it in flight stale); true when an entry was removed. */
  delete(key: K): boolean
  /** Drops every entry and makes every load in flight stale. */
  clear(): void
  /** Entries held now. */
  readonly size: number
  /** Entries allowed now: the multiplier times the reference (docs/caches.md, the reference rule). */
  readonly capacity: number
  /** Bytes allowed now, or null without `maxSize`. */
  readonly byteCapacity: number | null
  /** The multiplier of the last resize (1 until pressure). */
  readonly multiplier: number
  /** True at multiplier 0: `get` misses and `set` stores nothing. */
  readonly disabled: boolean
  /** The configured `max`. */
  readonly max: number
  /** The configured `maxSize`, or null. */
  readonly maxSize: number | null
  /** Keys, most recently used first. */
  keys(): IterableIterator<K>
  /** Values, most recently used first. */
  values(): IterableIterator<V>
  /** `[key, value]` pairs, most recently used first. */
  entries(): IterableIterator<[K, V]>
  /**
   * The cached value for `key`, or the result of `loader(key)`, stored before the promise
   * resolves. Concurrent calls for one key share one loader call. A loader that throws or
   * rejects caches nothing, and the next call tries again. With `{ bypass: true }` the loader is
   * always called and its result replaces the entry. A value that resolves to undefined is
   * returned but not stored. A hit or a miss is counted as for `get` (a bypass is not a lookup).
   */
  getOrLoad(key: K, loader: Loader<K, V>, options?: GetOrLoadOptions): Promise<V>
  /** @deprecated Since 0.2.0: the same as `delete(key)`, which also makes a load in flight stale. To be removed in 1.0. */
  invalidate(key: K): boolean
  /**
   * Removes every entry for which `predicate(key, value)` is true; returns how many. Every load
   * in flight is made stale too (its value is unknown until it settles, so it cannot be tested).
   * Walks the whole cache synchronously.
   */
  invalidateWhere(predicate: (key: K, value: V) => boolean): number
  /** Removes every entry whose key is a string starting with `prefix` (and the loads of such keys); returns how many. */
  invalidatePrefix(prefix: string): number
  /**
   * Sets the capacity to `multiplier` of the reference (docs/caches.md, the reference rule) and
   * evicts what no longer fits, least recently used first; the registry calls it on every level
   * change, with the level, and while regrowing after pressure with the `progress` of the regrowth (0..1).
   * Called directly without a level, a multiplier below 1 counts as pressure (the reference
   * freezes at what the cache holds) and 1 restores the configured maximum (at once, unless a
   * `progress` below 1 is given).
   */
  resize(multiplier: number, level?: Level, progress?: number): void
  stats(): ManagedLruStats
  /**
   * Called by the registry on `unregister()` and when the controller closes: stops a trim in
   * progress and goes back to a plain LRU bounded by the configured `max` (and `maxSize`). What
   * the cache holds stays.
   */
  dispose(): void
}

/** `stats()` of a managed LRU cache: the `CacheStats` fields plus a few of its own. */
export interface ManagedLruStats extends CacheStats {
  byteCapacity: number | null
  /** The configured `max` (entries at full capacity). */
  max: number
  /** The configured `maxSize`, or null. */
  maxSize: number | null
  /**
   * True unless `bytes` is the sum of your `sizeCalculation`: with `maxSize` (or a cache budget)
   * alone every entry is sized by the default estimator (`estimateSize`), with neither `bytes` is
   * estimated from a sample of entries.
   */
  bytesEstimated: boolean
  /** Loader calls started by `getOrLoad`, and how many of them failed. */
  loads: number
  loadFailures: number
}

/** What a managed cache needs from its registry. */
export interface ManagedLruContext {
  readonly trimmer: SliceTrimmer
  readonly report: (error: unknown) => void
  /** The registry's caches as a whole: the cache joins it (reservations claim room from it), and obeys its byte budget when one is set. */
  readonly pool: CachePool
}

/**
 * The cache `caches.lru()` builds. Its store (lru/store.ts) is chosen once: plain, or slotted
 * under the pool's byte budget. A `set` is the store's set, then the cache's own bounds, then the
 * pool's budget. The cache is also a member of the pool: the budget and reservations evict its
 * coldest entries, and a reservation's claim holds room down (`HeldRoom`).
 */
export class ManagedLruCache<K extends {}, V extends {}> implements ManagedLru<K, V>, PoolMember {
  readonly name: string
  readonly priority: CachePriority
  // Hot-path state: `get` reads one field before the store, `set` two comparisons after it.
  #capacity: number
  #byteCapacity: number
  readonly #counters = new CacheCounters()
  #multiplier = 1
  readonly #store: LruStore<K, V>
  readonly #entries: Capacity
  readonly #bytes: Capacity | undefined
  readonly #bytesEstimated: boolean
  /** Created by the first `getOrLoad`, so caches that never load pay nothing for it in `set`. */
  #loads: InFlightLoads<K, V> | undefined
  readonly #trimmer: SliceTrimmer
  readonly #job: TrimJob = { scheduled: false, trimSome: (limit) => this.#trimSome(limit) }
  readonly #pool: CachePool
  /** True while the cache is in its pool under a byte budget: each set asks the pool to `enforce()` it. */
  #budgeted: boolean
  readonly #hold = new HeldRoom()

  constructor(name: string, options: ResolvedLruOptions<K, V>, context: ManagedLruContext) {
    this.name = name
    this.priority = options.priority
    this.#trimmer = context.trimmer
    this.#entries = new Capacity(options.max)
    this.#bytes = options.maxSize === undefined ? undefined : new Capacity(options.maxSize)
    this.#capacity = options.max
    this.#byteCapacity = options.maxSize ?? Infinity
    this.#pool = context.pool
    this.#budgeted = context.pool.budgeted
    this.#bytesEstimated = options.bytesEstimated
    const hooks = {
      evicted: () => {
        this.#counters.evictions++
      },
      report: context.report,
    }
    this.#store = createStore(options, hooks, this.#budgeted ? context.pool : undefined)
    context.pool.join(this)
  }

  get(key: K, options?: LRUCache.GetOptions<K, V, unknown>): V | undefined {
    if (this.#capacity === 0) {
      this.#counters.misses++
      return undefined
    }
    const value = this.#store.get(key, options)
    if (value === undefined) this.#counters.misses++
    else this.#counters.hits++
    return value
  }

  set(key: K, value: V, options?: LRUCache.SetOptions<K, V, unknown>): this {
    const capacity = this.#capacity
    if (capacity === 0) return this
    if (this.#loads !== undefined) this.#loads.drop(key)
    const store = this.#store
    if (this.#job.scheduled) this.#setDuringTrim(key, value, options)
    else {
      store.set(key, value, options)
      // Within capacity before the set, so at most one entry over: the one just added. Evict the least recently used.
      if (store.size > capacity) store.pop()
      if (this.#bytes !== undefined && store.calculatedSize > this.#byteCapacity) this.#trimSome(Infinity)
    }
    if (this.#budgeted) this.#pool.enforce()
    return this
  }

  has(key: K, options?: LRUCache.HasOptions<K, V, unknown>): boolean {
    return this.#capacity !== 0 && this.#store.has(key, options)
  }

  peek(key: K, options?: LRUCache.PeekOptions<K, V, unknown>): V | undefined {
    return this.#capacity === 0 ? undefined : this.#store.peek(key, options)
  }

  delete(key: K): boolean {
    this.#loads?.drop(key)
    return this.#store.delete(key)
  }

  clear(): void {
    this.#loads?.dropAll()
    this.#trimmer.cancel(this.#job)
    this.#store.clear()
  }

  get size(): number {
    return this.#store.size
  }

  get capacity(): number {
    return this.#capacity
  }

  get byteCapacity(): number | null {
    return this.#bytes === undefined ? null : this.#byteCapacity
  }

  get multiplier(): number {
    return this.#multiplier
  }

  get disabled(): boolean {
    return this.#capacity === 0
  }

  get max(): number {
    return this.#entries.max
  }

  get maxSize(): number | null {
    return this.#bytes === undefined ? null : this.#bytes.max
  }

  keys(): IterableIterator<K> {
    return this.#store.keys()
  }

  values(): IterableIterator<V> {
    return this.#store.values()
  }

  entries(): IterableIterator<[K, V]> {
    return this.#store.entries()
  }

  getOrLoad(key: K, loader: Loader<K, V>, options?: GetOrLoadOptions): Promise<V> {
    let bypass: boolean
    try {
      bypass = checkLoad(`cache "${this.name}" getOrLoad`, loader, options)
    } catch (error) {
      return Promise.reject(error)
    }
    if (!bypass) {
      const cached = this.get(key)
      if (cached !== undefined) return Promise.resolve(cached)
      const current = this.#loads?.current(key)
      if (current !== undefined) return current
    }
    this.#loads ??= new InFlightLoads<K, V>()
    return this.#loads.start(key, loader, this.#storeLoaded)
  }

  invalidate(key: K): boolean {
    return this.delete(key)
  }

  invalidateWhere(predicate: (key: K, value: V) => boolean): number {
    checkFunction(`cache "${this.name}" invalidateWhere`, 'argument `predicate`', predicate)
    this.#loads?.dropAll()
    return this.#deleteMatching(predicate)
  }

  invalidatePrefix(prefix: string): number {
    if (typeof prefix !== 'string') {
      throw new TypeError(
        `cache "${this.name}" invalidatePrefix: argument \`prefix\` must be a string, got ${describe(prefix)}`,
      )
    }
    const matches = (key: K): boolean => typeof key === 'string' && key.startsWith(prefix)
    this.#loads?.dropWhere(matches)
    return this.#deleteMatching(matches)
  }

  resize(multiplier: number, level?: Level, progress?: number): void {
    const where = `cache "${this.name}" resize`
    checkMultiplier(where, multiplier)
    if (level !== undefined) checkOneOf(where, 'argument `level`', level, LEVELS)
    const share = checkProgress(where, progress)
    const pressure = isPressure(multiplier, level)
    const store = this.#store
    this.#multiplier = multiplier
    this.#entries.resize(multiplier, pressure, () => store.size, share)
    this.#bytes?.resize(multiplier, pressure, () => store.calculatedSize, share)
    this.#applyCapacity()
  }

  stats(): ManagedLruStats {
    return {
      ...this.#counters.stats(this.name, this.priority, {
        entries: this.#store.size,
        bytes: this.#store.bytes(),
        capacity: this.#capacity,
        multiplier: this.#multiplier,
      }),
      byteCapacity: this.byteCapacity,
      max: this.#entries.max,
      maxSize: this.maxSize,
      bytesEstimated: this.#bytesEstimated,
      loads: this.#loads?.started ?? 0,
      loadFailures: this.#loads?.failed ?? 0,
    }
  }

  dispose(): void {
    this.#trimmer.cancel(this.#job)
    this.#pool.leave(this)
    // Its slots keep their ticks, compared with no other cache's from now on.
    this.#budgeted = false
    this.resize(1, 'normal')
  }

  // ---- as a member of the pool (PoolMember) ----

  bytes(): number {
    return this.#store.bytes()
  }

  coldest(): number {
    return this.#store.coldest()
  }

  evictColdest(): number {
    return this.#store.evictColdest()
  }

  hold(entries: number, bytes: number): void {
    this.#hold.add(entries, bytes, this.#store.size, this.#store.calculatedSize)
    this.#applyCapacity()
  }

  unhold(entries: number, bytes: number): void {
    this.#hold.remove(entries, bytes)
    this.#applyCapacity()
  }

  // ---- inside ----

  /** `getOrLoad` stores what the loader resolved (undefined is returned, not stored). */
  readonly #storeLoaded = (key: K, value: V): void => {
    if (value !== undefined) this.set(key, value)
  }

  /** The level's capacity, less the room reservations hold down; then evicts what no longer fits. */
  #applyCapacity(): void {
    this.#capacity = this.#hold.entryCapacity(this.#entries.value)
    if (this.#bytes !== undefined) this.#byteCapacity = this.#hold.byteCapacity(this.#bytes.value)
    this.#trimmer.run(this.#job)
  }

  /**
   * A set while a big trim runs in slices: the cache is over its capacity on purpose (the slices
   * are evicting the excess), and the set must not make it bigger. Evicts LRU-first until neither
   * the entries nor the bytes exceed the larger of what was held before the set and the capacity,
   * whatever the new entry's size.
   */
  #setDuringTrim(key: K, value: V, options: LRUCache.SetOptions<K, V, unknown> | undefined): void {
    const store = this.#store
    const entryLimit = Math.max(store.size, this.#capacity)
    const byteLimit = Math.max(store.calculatedSize, this.#byteCapacity)
    store.set(key, value, options)
    while (store.size > 0 && (store.size > entryLimit || store.calculatedSize > byteLimit)) store.pop()
  }

  /** Evicts up to `limit` least-recently-used entries while over capacity; true while still over. */
  #trimSome(limit: number): boolean {
    const store = this.#store
    for (let evicted = 0; evicted < limit; evicted++) {
      if (store.size <= this.#capacity && store.calculatedSize <= this.#byteCapacity) return false
      store.pop()
    }
    return store.size > this.#capacity || store.calculatedSize > this.#byteCapacity
  }

  /**
   * Deletes every entry whose key (and value) match; returns how many. The keys are collected
   * first: deleting while walking the cache would skip entries.
   */
  #deleteMatching(matches: (key: K, value: V) => boolean): number {
    const doomed: K[] = []
    for (const [key, value] of this.#store.entries()) if (matches(key, value)) doomed.push(key)
    for (const key of doomed) this.#store.delete(key)
    return doomed.length
  }
}
