import type { LRUCache } from 'lru-cache'

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
