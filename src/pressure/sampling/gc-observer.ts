import { PerformanceObserver, constants } from 'node:perf_hooks'
import v8 from 'node:v8'
import { usableHeapLimit } from '../sources/heap.js'
import type { GcEntry, GcInfo, GcSubscribe } from '../types.js'

const KINDS: Record<number, GcEntry['kind']> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}

/** The spaces V8 counts as the old generation when it decides to give up (`OldGenerationSizeOfObjects`). */
const OLD_SPACES = new Set(['old_space', 'code_space', 'map_space', 'large_object_space', 'code_large_object_space'])

/** Bytes held by objects in the old generation now. */
export function oldGenerationUsed(): number {
  let used = 0
  for (const space of v8.getHeapSpaceStatistics()) if (OLD_SPACES.has(space.space_name)) used += space.space_used_size
  return used
}

/**
 * The default GC seam: a `PerformanceObserver` on entry type `gc`. Node delivers entries in
 * batches after the GC (on a later turn of the loop); one call per batch, flagged `major` when
 * the batch holds a full mark-sweep/compact, with the entries (for GC effort) and, after a major
 * GC, the old generation's size against its maximum (the heap source's usable limit, which is
 * V8's old-generation maximum). The observer holds no handle that keeps the process alive.
 */
export const observeGc: GcSubscribe = (onGc: (info: GcInfo) => void) => {
  const limit = usableHeapLimit(v8.getHeapStatistics().heap_size_limit)
  const observer = new PerformanceObserver((list) => {
    let major = false
    const entries: GcEntry[] = []
    for (const entry of list.getEntries()) {
      const kind = KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'minor'
      if (kind === 'major') major = true
      entries.push({ kind, start: entry.startTime, duration: entry.duration })
    }
    onGc(major ? { major, entries, oldGeneration: { used: oldGenerationUsed(), limit } } : { major, entries })
  })
  observer.observe({ entryTypes: ['gc'] })
  return () => observer.disconnect()
}
