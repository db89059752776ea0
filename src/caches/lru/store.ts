import { LRUCache } from 'lru-cache'
import { estimateEntrySize, type ResolvedLruOptions } from './options.js'

/**
 * The lru-cache under a managed cache, as the cache sees it: values in, values out. Two
 * implementations, chosen once when the cache is built (lru-cache's own idiom: swap the
 * implementation, not a flag per call):
 * - `PlainStore`: values kept as they are, a direct lru-cache call per operation;
 * - `SlottedStore`, under the registry's byte budget: each value in a slot stamped with a tick of
 *   the pool's recency clock at every `get` and `set`, so the entries of all caches compare in one
 *   LRU order (see `CachePool`). Every `Slot<V>` cast of the code base is in this file.
 *
 * Both install lru-cache's disposers: evictions are counted there, and a throwing user disposer is
 * reported rather than left to escape from a trim slice (lru-cache calls it before the entry is
 * gone). User disposers see the value, never its slot.
 */
export interface LruStore<K extends {}, V extends {}> {
  readonly size: number
  /** The bytes lru-cache counts (0 when sizes are not tracked). */
  readonly calculatedSize: number
  get(key: K, options?: LRUCache.GetOptions<K, V, unknown>): V | undefined
  /** Stores the value; the cache keeps itself within its capacity afterwards. */
  set(key: K, value: V, options?: LRUCache.SetOptions<K, V, unknown>): void
  has(key: K, options?: LRUCache.HasOptions<K, V, unknown>): boolean
  peek(key: K, options?: LRUCache.PeekOptions<K, V, unknown>): V | undefined
  delete(key: K): boolean
  clear(): void
  /** Evicts the least recently used entry (disposers see reason `'evict'`). */
  pop(): void
  keys(): IterableIterator<K>
  values(): IterableIterator<V>
  entries(): IterableIterator<[K, V]>
  /** Bytes held now: exact when sizes are tracked (always in a slotted store), else estimated from a sample. */
  bytes(): number
  /** The recency tick of the least recently used entry: Infinity when empty, NaN in a plain store (no ticks). */
  coldest(): number
  /** Evicts the least recently used entry; returns its bytes (exact when tracked, else estimated), 0 when empty. */
  evictColdest(): number
}

/** What a store tells its cache. */
export interface StoreHooks {
  /** An entry was evicted (to respect a capacity), not deleted or expired. */
  evicted(): void
  /** Where a throwing user disposer goes. */
  readonly report: (error: unknown) => void
}

/** The shared recency clock of a byte budget: a slotted store increments it on every access. */
export interface RecencyClock {
  tick: number
}

/** A plain store, or a slotted one stamped by `clock` when the cache is under a byte budget. */
export function createStore<K extends {}, V extends {}>(
  options: ResolvedLruOptions<K, V>,
  hooks: StoreHooks,
  clock: RecencyClock | undefined,
): LruStore<K, V> {
  return clock === undefined ? new PlainStore(options, hooks) : new SlottedStore(options, hooks, clock)
}

/** Entries sampled to estimate `bytes` when sizes are not tracked. */
const BYTES_SAMPLE = 32

class PlainStore<K extends {}, V extends {}> implements LruStore<K, V> {
  readonly #lru: LRUCache<K, V>
  readonly #sizeTracked: boolean

  constructor(options: ResolvedLruOptions<K, V>, hooks: StoreHooks) {
    this.#sizeTracked = options.sizeTracked
    this.#lru = new LRUCache<K, V>({
      ...options.lru,
      ...disposers(
        options,
        hooks,
        (value: V) => value,
        () => false,
      ),
    })
  }

  get size(): number {
    return this.#lru.size
  }

  get calculatedSize(): number {
    return this.#lru.calculatedSize
  }

  get(key: K, options?: LRUCache.GetOptions<K, V, unknown>): V | undefined {
    // Without options, call lru-cache without the argument: passing undefined measured ~12 ns slower a call.
    return options === undefined ? this.#lru.get(key) : this.#lru.get(key, options)
  }

  set(key: K, value: V, options?: LRUCache.SetOptions<K, V, unknown>): void {
    if (options === undefined) this.#lru.set(key, value)
    else this.#lru.set(key, value, options)
  }

  has(key: K, options?: LRUCache.HasOptions<K, V, unknown>): boolean {
    return options === undefined ? this.#lru.has(key) : this.#lru.has(key, options)
  }

  peek(key: K, options?: LRUCache.PeekOptions<K, V, unknown>): V | undefined {
    return this.#lru.peek(key, options)
  }

  delete(key: K): boolean {
    return this.#lru.delete(key)
  }

  clear(): void {
    this.#lru.clear()
  }

  pop(): void {
    this.#lru.pop()
  }

  keys(): IterableIterator<K> {
    return this.#lru.keys()
  }

  values(): IterableIterator<V> {
    return this.#lru.values()
  }

  entries(): IterableIterator<[K, V]> {
    return this.#lru.entries()
  }

  bytes(): number {
    return this.#sizeTracked ? this.#lru.calculatedSize : this.#sampleBytes()
  }

  coldest(): number {
    return NaN
  }

  evictColdest(): number {
    const lru = this.#lru
    if (lru.size === 0) return 0
    if (this.#sizeTracked) {
      const before = lru.calculatedSize
      lru.pop()
      return before - lru.calculatedSize
    }
    const key = lru.rkeys().next().value
    const value = lru.pop()
    return value === undefined ? 0 : estimateEntrySize(value, key)
  }

  /** Estimates the bytes of a cache that does not track sizes, from its most recently used entries. */
  #sampleBytes(): number {
    const count = this.#lru.size
    if (count === 0) return 0
    let sum = 0
    let seen = 0
    for (const [key, value] of this.#lru.entries()) {
      sum += estimateEntrySize(value, key)
      if (++seen === BYTES_SAMPLE) break
    }
    return seen === 0 ? 0 : Math.round((sum / seen) * count)
  }
}

/** How a value is stored under a byte budget: with the tick of its last use on the pool's recency clock. */
interface Slot<V> {
  readonly v: V
  t: number
}

/**
 * Per-call options (`get`, `has`, `peek`, `set`) are typed on values and passed to the lru-cache of
 * slots as they are: lru-cache reads only flags from them, and fills a `status` whose value fields
 * then hold slots (the one place values and slots are mixed up, hence the casts below).
 */
class SlottedStore<K extends {}, V extends {}> implements LruStore<K, V> {
  readonly #lru: LRUCache<K, Slot<V>>
  readonly #clock: RecencyClock
  /**
   * The value a `set` is storing. Setting the same value again replaces its slot, which lru-cache
   * reports as a disposal (reason `'set'`) of the old slot: the user's value was not disposed, so
   * that one is not passed on.
   */
  #incoming: V | undefined

  constructor(options: ResolvedLruOptions<K, V>, hooks: StoreHooks, clock: RecencyClock) {
    this.#clock = clock
    const lru = options.lru as unknown as LRUCache.Options<K, Slot<V>, unknown>
    const size = (options.lru.sizeCalculation ?? estimateEntrySize) as (value: V, key: K) => number
    this.#lru = new LRUCache<K, Slot<V>>({
      ...lru,
      // Every entry is sized under a budget: the user's sizeCalculation, else the estimate, of the value in the slot.
      sizeCalculation: (slot, key) => size(slot.v, key),
      // lru-cache tracks sizes only with a limit: an entry limit no entry reaches turns it on.
      ...(lru.maxSize === undefined && lru.maxEntrySize === undefined ? { maxEntrySize: Number.MAX_SAFE_INTEGER } : {}),
      ...disposers<K, V, Slot<V>>(
        options,
        hooks,
        (slot) => slot.v,
        (slot) => slot.v === this.#incoming,
      ),
    })
  }

  get size(): number {
    return this.#lru.size
  }

  get calculatedSize(): number {
    return this.#lru.calculatedSize
  }

  get(key: K, options?: LRUCache.GetOptions<K, V, unknown>): V | undefined {
    const slot =
      options === undefined
        ? this.#lru.get(key)
        : this.#lru.get(key, options as unknown as LRUCache.GetOptions<K, Slot<V>, unknown>)
    if (slot === undefined) return undefined
    slot.t = ++this.#clock.tick
    return slot.v
  }

  set(key: K, value: V, options?: LRUCache.SetOptions<K, V, unknown>): void {
    const slot: Slot<V> = { v: value, t: ++this.#clock.tick }
    // A new slot replaces the old one even for the same value: its disposal is not the user's.
    this.#incoming = value
    try {
      if (options === undefined) this.#lru.set(key, slot)
      else this.#lru.set(key, slot, slotSetOptions(options))
    } finally {
      this.#incoming = undefined
    }
  }

  has(key: K, options?: LRUCache.HasOptions<K, V, unknown>): boolean {
    return options === undefined
      ? this.#lru.has(key)
      : this.#lru.has(key, options as unknown as LRUCache.HasOptions<K, Slot<V>, unknown>)
  }

  peek(key: K, options?: LRUCache.PeekOptions<K, V, unknown>): V | undefined {
    return this.#lru.peek(key, options as unknown as LRUCache.PeekOptions<K, Slot<V>, unknown> | undefined)?.v
  }

  delete(key: K): boolean {
    return this.#lru.delete(key)
  }

  clear(): void {
    this.#lru.clear()
  }

  pop(): void {
    this.#lru.pop()
  }

  keys(): IterableIterator<K> {
    return this.#lru.keys()
  }

  *values(): IterableIterator<V> {
    for (const slot of this.#lru.values()) yield slot.v
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [key, slot] of this.#lru.entries()) yield [key, slot.v]
  }

  bytes(): number {
    return this.#lru.calculatedSize
  }

  coldest(): number {
    const next = this.#lru.rvalues().next()
    return next.done === true || next.value === undefined ? Infinity : next.value.t
  }

  evictColdest(): number {
    const lru = this.#lru
    if (lru.size === 0) return 0
    const before = lru.calculatedSize
    lru.pop()
    return before - lru.calculatedSize
  }
}

/** Per-call `set` options whose `sizeCalculation` must see the value, not its slot. */
function slotSetOptions<K, V>(options: LRUCache.SetOptions<K, V, unknown>): LRUCache.SetOptions<K, Slot<V>, unknown> {
  const size = options.sizeCalculation
  const same = options as unknown as LRUCache.SetOptions<K, Slot<V>, unknown>
  return size === undefined ? same : { ...same, sizeCalculation: (slot, key) => size(slot.v, key) }
}

/**
 * The disposers of a store: `out` gives the user's value of what is stored; `replaced` says that
 * a `'set'` disposal is the slot of a value being stored again (not passed on).
 */
function disposers<K extends {}, V extends {}, S extends {}>(
  options: ResolvedLruOptions<K, V>,
  hooks: StoreHooks,
  out: (stored: S) => V,
  replaced: (stored: S) => boolean,
): Pick<LRUCache.Options<K, S, unknown>, 'dispose' | 'disposeAfter'> {
  const { dispose, disposeAfter } = options
  const call = (disposer: LRUCache.Disposer<K, V>, stored: S, key: K, reason: LRUCache.DisposeReason): void => {
    try {
      disposer(out(stored), key, reason)
    } catch (error) {
      hooks.report(error)
    }
  }
  return {
    dispose: (stored, key, reason) => {
      if (reason === 'evict') hooks.evicted()
      else if (reason === 'set' && replaced(stored)) return
      if (dispose !== undefined) call(dispose, stored, key, reason)
    },
    ...(disposeAfter === undefined
      ? {}
      : {
          disposeAfter: (stored: S, key: K, reason: LRUCache.DisposeReason) => {
            if (reason === 'set' && replaced(stored)) return
            call(disposeAfter, stored, key, reason)
          },
        }),
  }
}
