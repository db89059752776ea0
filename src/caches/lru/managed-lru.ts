import type { LRUCache } from 'lru-cache'
import { LEVELS, type Level } from '../../pressure/levels.js'
import { checkFunction, checkOneOf, describe } from '../../util/validate.js'
import { CacheBudget, type BudgetMember } from '../pool.js'
import { Capacity, checkMultiplier, checkProgress, HeldRoom, isPressure } from '../capacity.js'
import type { ResolvedLruOptions } from './options.js'
import { createLruStore, lruMember, sampleBytes, slotEntries, slotSetOptions, slotValues, type Slot } from './store.js'
import { checkLoad, InFlightLoads, type GetOrLoadOptions, type Loader } from './loader.js'
import type { SliceTrimmer, TrimJob } from '../trim.js'
import { CacheCounters, type CachePriority, type Managed } from '../types.js'
import type { CacheStats } from '../types.js'

export type { GetOrLoadOptions } from './loader.js'

/** What a managed cache needs from its registry. */
export interface ManagedLruContext {
  trimmer: SliceTrimmer
  readonly report: (error: unknown) => void
  /** The registry's caches as a whole: the cache joins it (for reservations), and obeys its byte budget when one is set. */
  readonly budget: CacheBudget
}

/** Where a cache that left its registry's budget points: no limit, so it never evicts elsewhere. */
const DETACHED = new CacheBudget(Infinity)

/** Builds a managed cache for `pressure.caches.lru()`; the constructor is private to this module. */
export let createManagedLru: <K extends {}, V extends {}>(
  name: string,
  options: ResolvedLruOptions<K, V>,
  context: ManagedLruContext,
) => ManagedLru<K, V>

/**
 * An LRU cache (lru-cache v11 underneath) whose capacity follows memory pressure. Create it with
 * `pressure.caches.lru(name, options)`.
 *
 * lru-cache fixes `max` and `maxSize` at construction, so this cache enforces its CURRENT
 * capacity on top: after a level change, entries beyond `capacity` (and bytes beyond the byte
 * capacity) are evicted least-recently-used first, large trims in slices that yield to the event
 * loop; `set` never takes the cache past its capacity (nor, while a trim is in progress, past what
 * it holds); at multiplier 0 `get` misses and `set`
 * stores nothing.
 */
export class ManagedLru<K extends {}, V extends {}> implements Managed {
  readonly name: string
  readonly priority: CachePriority
  // Hot-path state: `get` reads one field before lru-cache, `set` two comparisons after it.
  #capacity: number
  #byteCapacity: number
  readonly #counters = new CacheCounters()
  #multiplier = 1
  readonly #lru: LRUCache<K, V>
  readonly #entries: Capacity
  readonly #bytes: Capacity | undefined
  readonly #sizeTracked: boolean
  readonly #bytesEstimated: boolean
  /** Created by the first `getOrLoad`, so caches that never load pay nothing for it in `set`. */
  #loads: InFlightLoads<K, V> | undefined
  readonly #trimmer: SliceTrimmer
  readonly #job: TrimJob = { scheduled: false, trimSome: (limit) => this.#trimSome(limit) }
  /** Set under a byte budget: values are stored in slots stamped by its recency clock, and sets obey it. */
  #budget: CacheBudget | undefined
  readonly #member: BudgetMember
  readonly #pool: CacheBudget
  readonly #hold = new HeldRoom()
  /** Under a budget, the value a `set` is storing (see `LruStoreHooks.incoming`). */
  #incoming: V | undefined

  static {
    createManagedLru = (name, options, context) => new ManagedLru(name, options, context)
  }

  private constructor(name: string, options: ResolvedLruOptions<K, V>, context: ManagedLruContext) {
    this.name = name
    this.priority = options.priority
    this.#trimmer = context.trimmer
    this.#entries = new Capacity(options.max)
    this.#bytes = options.maxSize === undefined ? undefined : new Capacity(options.maxSize)
    this.#capacity = options.max
    this.#byteCapacity = options.maxSize ?? Infinity
    this.#pool = context.budget
    const budgeted = context.budget.enforced
    if (budgeted) this.#budget = context.budget
    this.#sizeTracked = options.sizeTracked || budgeted
    this.#bytesEstimated = options.bytesEstimated
    this.#lru = createLruStore(options, {
      slots: budgeted,
      incoming: () => this.#incoming,
      evicted: () => {
        this.#counters.evictions++
      },
      report: context.report,
    })
    this.#member = lruMember({
      priority: this.priority,
      lru: this.#lru,
      sizeTracked: this.#sizeTracked,
      slotted: () => this.#budget !== undefined,
      hold: this.#hold,
      applyCapacity: () => this.#applyCapacity(),
    })
    context.budget.join(this.#member)
  }

  /** The value for `key` (marking it recently used), or undefined; counts a hit or a miss. */
  get(key: K, options?: LRUCache.GetOptions<K, V, unknown>): V | undefined {
    if (this.#capacity === 0) {
      this.#counters.misses++
      return undefined
    }
    // Without options, call lru-cache without the argument: passing undefined measured ~12 ns slower a call.
    const value = options === undefined ? this.#lru.get(key) : this.#lru.get(key, options)
    if (value === undefined) this.#counters.misses++
    else {
      this.#counters.hits++
      const budget = this.#budget
      if (budget !== undefined) {
        // Under a budget: stamp the slot with the shared recency tick, hand out its value.
        const slot = value as unknown as Slot<V>
        slot.t = ++budget.tick
        return slot.v
      }
    }
    return value
  }

  /**
   * Stores `value` under `key`, evicting least-recently-used entries so that the cache stays
   * within its current capacity (entries and bytes). While a large trim is still evicting in
   * slices, a set never makes the cache bigger than it already is. Does nothing while the cache
   * is disabled (multiplier 0).
   */
  set(key: K, value: V, options?: LRUCache.SetOptions<K, V, unknown>): this {
    const capacity = this.#capacity
    if (capacity === 0) return this
    if (this.#loads !== undefined) this.#loads.drop(key)
    if (this.#budget !== undefined) return this.#setInSlot(key, value, options)
    return this.#put(key, value, options)
  }

  /** True when `key` is held (and not stale); not counted as a lookup. */
  has(key: K, options?: LRUCache.HasOptions<K, V, unknown>): boolean {
    return this.#capacity !== 0 && (options === undefined ? this.#lru.has(key) : this.#lru.has(key, options))
  }

  /** The value for `key` without marking it used or counting a lookup. */
  peek(key: K, options?: LRUCache.PeekOptions<K, V, unknown>): V | undefined {
    const value = this.#capacity === 0 ? undefined : this.#lru.peek(key, options)
    return value === undefined ? undefined : this.#out(value)
  }

  /** Removes `key` (and makes a load of it in flight stale); true when an entry was removed. */
  delete(key: K): boolean {
    this.#loads?.drop(key)
    return this.#lru.delete(key)
  }

  /** Drops every entry and makes every load in flight stale. */
  clear(): void {
    this.#loads?.dropAll()
    this.#trimmer.cancel(this.#job)
    this.#lru.clear()
  }

  /** Entries held now. */
  get size(): number {
    return this.#lru.size
  }

  /** Entries allowed now: the multiplier times the reference (docs/caches.md, the reference rule). */
  get capacity(): number {
    return this.#capacity
  }

  /** Bytes allowed now, or null without `maxSize`. */
  get byteCapacity(): number | null {
    return this.#bytes === undefined ? null : this.#byteCapacity
  }

  /** The multiplier of the last resize (1 until pressure). */
  get multiplier(): number {
    return this.#multiplier
  }

  /** True at multiplier 0: `get` misses and `set` stores nothing. */
  get disabled(): boolean {
    return this.#capacity === 0
  }

  /** The configured `max`. */
  get max(): number {
    return this.#entries.max
  }

  /** The configured `maxSize`, or null. */
  get maxSize(): number | null {
    return this.#bytes === undefined ? null : this.#bytes.max
  }

  /** Keys, most recently used first. */
  keys(): IterableIterator<K> {
    return this.#lru.keys()
  }

  /** Values, most recently used first. */
  values(): IterableIterator<V> {
    return this.#budget === undefined ? this.#lru.values() : slotValues(this.#slots().values())
  }

  /** `[key, value]` pairs, most recently used first. */
  entries(): IterableIterator<[K, V]> {
    return this.#budget === undefined ? this.#lru.entries() : slotEntries(this.#slots().entries())
  }

  /**
   * The cached value for `key`, or the result of `loader(key)`, stored before the promise
   * resolves. Concurrent calls for one key share one loader call. A loader that throws or
   * rejects caches nothing, and the next call tries again. With `{ bypass: true }` the loader is
   * always called and its result replaces the entry. A value that resolves to undefined is
   * returned but not stored. A hit or a miss is counted as for `get` (a bypass is not a lookup).
   */
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
    return this.#loads.start(key, loader, this.#store)
  }

  /** Removes `key` and makes a load of it in flight stale; same as `delete`. */
  invalidate(key: K): boolean {
    return this.delete(key)
  }

  /**
   * Removes every entry for which `predicate(key, value)` is true; returns how many. Every load
   * in flight is made stale too (its value is unknown until it settles, so it cannot be tested).
   * Walks the whole cache synchronously.
   */
  invalidateWhere(predicate: (key: K, value: V) => boolean): number {
    checkFunction(`cache "${this.name}" invalidateWhere`, 'argument `predicate`', predicate)
    this.#loads?.dropAll()
    return deleteMatching(this.entries(), predicate, (key) => this.#lru.delete(key))
  }

  /** Removes every entry whose key is a string starting with `prefix` (and the loads of such keys); returns how many. */
  invalidatePrefix(prefix: string): number {
    if (typeof prefix !== 'string') {
      throw new TypeError(
        `cache "${this.name}" invalidatePrefix: argument \`prefix\` must be a string, got ${describe(prefix)}`,
      )
    }
    const matches = (key: K): boolean => typeof key === 'string' && key.startsWith(prefix)
    this.#loads?.dropWhere(matches)
    return deleteMatching(this.#lru.entries(), matches, (key) => this.#lru.delete(key))
  }

  /**
   * Sets the capacity to `multiplier` of the reference (docs/caches.md, the reference rule) and
   * evicts what no longer fits, least recently used first; the registry calls it on every level
   * change, with the level, and while regrowing after pressure with the `progress` of the regrowth (0..1).
   * Called directly without a level, a multiplier below 1 counts as pressure (the reference
   * freezes at what the cache holds) and 1 restores the configured maximum (at once, unless a
   * `progress` below 1 is given).
   */
  resize(multiplier: number, level?: Level, progress?: number): void {
    const where = `cache "${this.name}" resize`
    checkMultiplier(where, multiplier)
    if (level !== undefined) checkOneOf(where, 'argument `level`', level, LEVELS)
    const share = checkProgress(where, progress)
    const pressure = isPressure(multiplier, level)
    const lru = this.#lru
    this.#multiplier = multiplier
    this.#entries.resize(multiplier, pressure, () => lru.size, share)
    this.#bytes?.resize(multiplier, pressure, () => lru.calculatedSize, share)
    this.#applyCapacity()
  }

  /** The level's capacity, less the room reservations hold down; then evicts what no longer fits. */
  #applyCapacity(): void {
    this.#capacity = this.#hold.entryCapacity(this.#entries.value)
    if (this.#bytes !== undefined) this.#byteCapacity = this.#hold.byteCapacity(this.#bytes.value)
    this.#trimmer.run(this.#job)
  }

  stats(): ManagedLruStats {
    return {
      ...this.#counters.stats(this.name, this.priority, {
        entries: this.#lru.size,
        bytes: this.#sizeTracked ? this.#lru.calculatedSize : sampleBytes(this.#lru),
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

  /**
   * Called by the registry on `unregister()` and when the controller closes: stops a trim in
   * progress and goes back to a plain LRU bounded by the configured `max` (and `maxSize`). What
   * the cache holds stays.
   */
  dispose(): void {
    this.#trimmer.cancel(this.#job)
    this.#pool.leave(this.#member)
    if (this.#budget !== undefined) this.#budget = DETACHED
    this.resize(1, 'normal')
  }

  readonly #store = (key: K, value: V): void => {
    if (value !== undefined) this.set(key, value)
  }

  /** Stores what the cache keeps (the value, or its slot) within the cache's own bounds. */
  #put(key: K, stored: V, options: LRUCache.SetOptions<K, V, unknown> | undefined): this {
    if (this.#job.scheduled) return this.#setDuringTrim(key, stored, options)
    const lru = this.#lru
    if (options === undefined) lru.set(key, stored)
    else lru.set(key, stored, options)
    // Within capacity before the set, so at most one entry over: the one just added. Evict the least recently used.
    if (lru.size > this.#capacity) lru.pop()
    if (this.#bytes !== undefined && lru.calculatedSize > this.#byteCapacity) this.#trimSome(Infinity)
    return this
  }

  /**
   * A set under the byte budget: the value goes in a slot stamped with the shared recency tick,
   * the cache's own bounds apply as for any set, then the budget evicts across caches if the
   * total is over.
   */
  #setInSlot(key: K, value: V, options: LRUCache.SetOptions<K, V, unknown> | undefined): this {
    const budget = this.#budget!
    const slot = { v: value, t: ++budget.tick } as unknown as V
    // A new slot replaces the old one even for the same value: its disposal is not the user's.
    this.#incoming = value
    try {
      this.#put(key, slot, slotSetOptions(options) as LRUCache.SetOptions<K, V, unknown> | undefined)
    } finally {
      this.#incoming = undefined
    }
    budget.enforce()
    return this
  }

  /**
   * A set while a big trim runs in slices: the cache is over its capacity on purpose (the slices
   * are evicting the excess), and the set must not make it bigger. Evicts LRU-first until neither
   * the entries nor the bytes exceed the larger of what was held before the set and the capacity,
   * whatever the new entry's size.
   */
  #setDuringTrim(key: K, value: V, options: LRUCache.SetOptions<K, V, unknown> | undefined): this {
    const lru = this.#lru
    const entryLimit = Math.max(lru.size, this.#capacity)
    const byteLimit = Math.max(lru.calculatedSize, this.#byteCapacity)
    if (options === undefined) lru.set(key, value)
    else lru.set(key, value, options)
    while (lru.size > 0 && (lru.size > entryLimit || lru.calculatedSize > byteLimit)) lru.pop()
    return this
  }

  /** Evicts up to `limit` least-recently-used entries while over capacity; true while still over. */
  #trimSome(limit: number): boolean {
    const lru = this.#lru
    for (let evicted = 0; evicted < limit; evicted++) {
      if (lru.size <= this.#capacity && lru.calculatedSize <= this.#byteCapacity) return false
      lru.pop()
    }
    return lru.size > this.#capacity || lru.calculatedSize > this.#byteCapacity
  }

  /** What a stored value is to the user: the value itself, or the value in its slot under a budget. */
  #out(stored: V): V {
    return this.#budget === undefined ? stored : (stored as unknown as Slot<V>).v
  }

  #slots(): LRUCache<K, Slot<V>> {
    return this.#lru as unknown as LRUCache<K, Slot<V>>
  }
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

/**
 * Deletes every entry whose key (and value) match; returns how many. The keys are collected
 * first: deleting while walking the cache would skip entries.
 */
export function deleteMatching<K, V>(
  entries: Iterable<[K, V]>,
  matches: (key: K, value: V) => boolean,
  remove: (key: K) => unknown,
): number {
  const doomed: K[] = []
  for (const [key, value] of entries) if (matches(key, value)) doomed.push(key)
  for (const key of doomed) remove(key)
  return doomed.length
}
