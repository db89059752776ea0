import { LRUCache } from 'lru-cache'
import { estimateEntrySize, type ResolvedLruOptions } from './options.js'
import type { BudgetMember } from '../pool.js'
import type { HeldRoom } from '../capacity.js'
import type { CachePriority } from '../types.js'

/** What the lru-cache underneath a managed cache reports back. */
export interface LruStoreHooks {
  /** True under a byte budget: values are stored in slots, and every entry is sized. */
  readonly slots: boolean
  /**
   * Under a budget: the value a `set` is storing. Setting the same value again replaces its slot,
   * which lru-cache reports as a disposal (reason `'set'`); that one is not passed on.
   */
  incoming(): unknown
  /** An entry was evicted (to respect a capacity), not deleted or expired. */
  evicted(): void
  /** Where a throwing user disposer goes. */
  readonly report: (error: unknown) => void
}

/**
 * The lru-cache a managed cache wraps. Its disposers are always installed: evictions are counted
 * there, and a throwing user disposer is reported rather than left to escape from a trim slice
 * (lru-cache calls it before the entry is gone). User disposers see the value, never its slot.
 */
export function createLruStore<K extends {}, V extends {}>(
  options: ResolvedLruOptions<K, V>,
  hooks: LruStoreHooks,
): LRUCache<K, V> {
  const { dispose, disposeAfter } = options
  const out = hooks.slots ? (stored: V): V => (stored as unknown as Slot<V>).v : (stored: V): V => stored
  const call = (disposer: LRUCache.Disposer<K, V>, value: V, key: K, reason: LRUCache.DisposeReason): void => {
    try {
      disposer(out(value), key, reason)
    } catch (error) {
      hooks.report(error)
    }
  }
  return new LRUCache<K, V>({
    ...options.lru,
    ...(hooks.slots ? slotSizeOptions(options.lru, estimateEntrySize) : {}),
    dispose: (value, key, reason) => {
      if (reason === 'evict') hooks.evicted()
      else if (reason === 'set' && hooks.slots && out(value) === hooks.incoming()) return
      if (dispose !== undefined) call(dispose, value, key, reason)
    },
    ...(disposeAfter === undefined
      ? {}
      : {
          disposeAfter: (value: V, key: K, reason: LRUCache.DisposeReason) => {
            if (reason === 'set' && hooks.slots && out(value) === hooks.incoming()) return
            call(disposeAfter, value, key, reason)
          },
        }),
  })
}

/**
 * How a cache under a byte budget stores a value: with the tick of its last use on the shared
 * recency clock (see `CacheBudget`), so the entries of all caches compare in one LRU order. A
 * plain cache stores values as they are; only budgeted caches pay for the wrapper.
 */
export interface Slot<V> {
  readonly v: V
  t: number
}

/** A size function on values, turned into one on slots (lru-cache sizes what it stores). */
export function sizeOfSlot<K, V>(size: (value: V, key: K) => number): (slot: Slot<V>, key: K) => number {
  return (slot, key) => size(slot.v, key)
}

/** Per-call `set` options whose `sizeCalculation` must see the value, not its slot. */
export function slotSetOptions<K, V>(
  options: LRUCache.SetOptions<K, V, unknown> | undefined,
): LRUCache.SetOptions<K, Slot<V>, unknown> | undefined {
  const size = options?.sizeCalculation
  const same = options as unknown as LRUCache.SetOptions<K, Slot<V>, unknown> | undefined
  return size === undefined ? same : { ...same, sizeCalculation: sizeOfSlot(size) }
}

/**
 * The lru-cache options that make a budgeted cache size every entry: the user's
 * `sizeCalculation`, else the estimate, applied to the value in the slot.
 */
export function slotSizeOptions<K, V>(
  lru: LRUCache.Options<K, V, unknown>,
  estimate: (value: V, key: K) => number,
): Partial<LRUCache.Options<K, V, unknown>> {
  const size = lru.sizeCalculation ?? estimate
  return {
    sizeCalculation: sizeOfSlot(size) as unknown as LRUCache.SizeCalculator<K, V>,
    // lru-cache tracks sizes only with a limit: an entry limit no entry reaches turns it on.
    ...(lru.maxSize === undefined && lru.maxEntrySize === undefined ? { maxEntrySize: Number.MAX_SAFE_INTEGER } : {}),
  }
}

/** The tick of the least recently used slot of a budgeted cache; Infinity when it is empty. */
export function coldestTick<K extends {}, V extends {}>(lru: LRUCache<K, Slot<V>>): number {
  const next = lru.rvalues().next()
  return next.done === true || next.value === undefined ? Infinity : next.value.t
}

export function* slotValues<V>(slots: Iterable<Slot<V>>): IterableIterator<V> {
  for (const slot of slots) yield slot.v
}

export function* slotEntries<K, V>(entries: Iterable<[K, Slot<V>]>): IterableIterator<[K, V]> {
  for (const [key, slot] of entries) yield [key, slot.v]
}

/** Entries sampled to estimate `bytes` when sizes are not tracked. */
const BYTES_SAMPLE = 32

/** Estimates the bytes of a cache that does not track sizes, from its most recently used entries. */
export function sampleBytes<K extends {}, V extends {}>(lru: LRUCache<K, V>): number {
  const count = lru.size
  if (count === 0) return 0
  let sum = 0
  let seen = 0
  for (const [key, value] of lru.entries()) {
    sum += estimateEntrySize(value, key)
    if (++seen === BYTES_SAMPLE) break
  }
  return seen === 0 ? 0 : Math.round((sum / seen) * count)
}

/**
 * Evicts the least recently used entry (as an eviction: disposers see reason `'evict'`) and
 * returns its bytes: exact when the cache tracks sizes, else estimated. 0 when it is empty.
 */
export function popColdest<K extends {}, V extends {}>(lru: LRUCache<K, V>, sizeTracked: boolean): number {
  if (lru.size === 0) return 0
  if (sizeTracked) {
    const before = lru.calculatedSize
    lru.pop()
    return before - lru.calculatedSize
  }
  const key = lru.rkeys().next().value
  const value = lru.pop()
  return value === undefined ? 0 : estimateEntrySize(value, key)
}

/** What a managed cache lends its member: the store, and how its capacity follows held room. */
export interface MemberState<K extends {}, V extends {}> {
  readonly priority: CachePriority
  readonly lru: LRUCache<K, V>
  readonly sizeTracked: boolean
  /** True while values are stored in slots (the cache joined an enforced budget). */
  slotted(): boolean
  readonly hold: HeldRoom
  /** Recomputes the capacity after the held room changed. */
  applyCapacity(): void
}

/** A cache from `caches.lru()` as its registry's `CacheBudget` sees it (see `BudgetMember`). */
export function lruMember<K extends {}, V extends {}>(state: MemberState<K, V>): BudgetMember {
  const { lru, hold } = state
  return {
    priority: state.priority,
    bytes: () => (state.sizeTracked ? lru.calculatedSize : sampleBytes(lru)),
    coldest: () => (state.slotted() ? coldestTick(lru as unknown as LRUCache<K, Slot<V>>) : NaN),
    evictColdest: () => popColdest(lru, state.sizeTracked),
    hold: (entries, bytes) => {
      hold.add(entries, bytes, lru.size, lru.calculatedSize)
      state.applyCapacity()
    },
    unhold: (entries, bytes) => {
      hold.remove(entries, bytes)
      state.applyCapacity()
    },
  }
}
