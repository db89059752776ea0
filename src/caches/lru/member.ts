import type { LRUCache } from 'lru-cache'
import type { BudgetMember } from '../pool.js'
import { popColdest, sampleBytes } from './entry-bytes.js'
import type { HeldRoom } from '../held-room.js'
import type { CachePriority } from '../types.js'
import { coldestTick, type Slot } from './slots.js'

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
