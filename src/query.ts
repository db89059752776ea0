/**
 * `heapguard/query`: bounds a TanStack Query `QueryCache` under memory pressure.
 * `@tanstack/query-core` v5 is an optional peer; this entry only imports its types.
 */
export {
  manageQueryCache,
  type ManageQueryCacheOptions,
  type ManagedQueryCache,
  type ManagedQueryCacheStats,
} from './caches/query-cache.js'
export type { Managed, CacheStats, CachePriority, ManagedContext } from './caches/types.js'
