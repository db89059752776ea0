import type { Level } from '../pressure/levels.js'

/** How much a cache matters when memory runs short; picks the column of the cache policy. */
export type CachePriority = 'essential' | 'normal' | 'optional'

/** Every cache priority, most important first. */
export const CACHE_PRIORITIES: readonly CachePriority[] = Object.freeze(['essential', 'normal', 'optional'])

/** What every managed cache reports; the dashboard and the metrics read it (docs/caches.md#stats-and-bytes). */
export interface CacheStats {
  name: string
  priority: CachePriority
  /** Entries held now. */
  entries: number
  /** Bytes held now (exact when the cache tracks sizes, else an estimate). */
  bytes: number
  /** Entries allowed now: the multiplier times the reference, rounded down. */
  capacity: number
  /** The size multiplier the current level gives the cache (0 disables it). */
  multiplier: number
  /** Lookups that found their entry. */
  hits: number
  /** Lookups that found nothing. */
  misses: number
  /** Entries removed to respect a capacity (LRU evictions and pressure trims; not deletes, not expiry). */
  evictions: number
  /** hits / (hits + misses); 0 before the first lookup. */
  hitRatio: number
  /** Extension: bytes allowed now, or null when the cache has no byte budget. */
  byteCapacity?: number | null
}

/** What the registry hands a `Managed` that asks for it (see `Managed.onRegister`). */
export interface ManagedContext {
  readonly name: string
  readonly priority: CachePriority
  /** Reports a failure from background work on the controller's `'error'` event; never throws. */
  readonly report: (error: unknown) => void
}

/**
 * Anything the registry can shrink: `pressure.caches.register(name, managed, { priority })`.
 * On every level change the registry calls `resize(multiplier, level)`; it should keep at most
 * `multiplier × reference` entries, where the reference is the configured maximum at `normal`
 * and, from the moment the level leaves `normal`, what the cache held at that moment (docs/caches.md, the reference rule).
 */
export interface Managed {
  /**
   * Shrinks (or lets grow back) to `multiplier` of the reference. The registry passes the level
   * as a second argument, and, while the cache grows back after pressure (`regrowMs`), how far
   * that regrowth has come (`progress`, 0..1, 1 = fully regrown) as a third: the registry calls
   * `resize` again as it advances, at most about 100 times per regrowth. Implementations may
   * ignore both (one that ignores `progress` grows back at once). A returned promise that
   * rejects is reported on the controller's `'error'` event.
   */
  resize(multiplier: number, level?: Level, progress?: number): void | Promise<void>
  /** Drops every entry. */
  clear(): void
  stats(): CacheStats
  /** Optional: called once by `register()`, before the first `resize()`. */
  onRegister?(context: ManagedContext): void
  /** Optional: called by `unregister()` and when the controller closes, to detach listeners and timers. */
  dispose?(): void
}

/** The third argument of `pressure.caches.register()`. */
export interface RegisterOptions {
  /** Default `'normal'`. */
  priority?: CachePriority
}

/**
 * What every managed cache counts, as plain fields: a lookup costs one increment. Shared by the
 * LRU cache and the QueryCache adapter so both report the same way.
 */
export class CacheCounters {
  hits = 0
  misses = 0
  /** Entries removed to respect a capacity (not deletes, not expiry). */
  evictions = 0

  /** hits / (hits + misses), 0 when there was no lookup. */
  get hitRatio(): number {
    const lookups = this.hits + this.misses
    return lookups === 0 ? 0 : this.hits / lookups
  }

  /** The `CacheStats` for a cache holding `entries` (and `bytes`) at `capacity` and `multiplier`. */
  stats(
    name: string,
    priority: CachePriority,
    size: { entries: number; bytes: number; capacity: number; multiplier: number },
  ): CacheStats {
    const { hits, misses, evictions } = this
    return { name, priority, ...size, hits, misses, evictions, hitRatio: this.hitRatio }
  }
}
