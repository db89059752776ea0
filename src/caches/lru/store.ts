import { LRUCache } from 'lru-cache'
import { estimateEntrySize, type ResolvedLruOptions } from './options.js'
import { slotSizeOptions, type Slot } from './slots.js'

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
