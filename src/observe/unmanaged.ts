import type { CacheStats } from '../caches/types.js'
import type { ObservedReservationStats } from './observed.js'

/**
 * "Heap not in managed caches": the post-GC heap (the trend's floor) less the managed caches'
 * bytes and what live reservations' work holds (their bytes less what they still announce). Null
 * before the first major GC. When it is most of the heap, a leak is not in the caches.
 */
export function unmanagedBytes(
  floor: number | null,
  caches: readonly CacheStats[] | null | undefined,
  reservations: ObservedReservationStats | null | undefined,
): number | null {
  if (floor === null) return null
  let bytes = floor
  for (const cache of caches ?? []) if (Number.isFinite(cache.bytes)) bytes -= cache.bytes
  if (reservations) bytes -= Math.max(0, reservations.held - reservations.reserved)
  return Math.max(0, bytes)
}
