import { PerformanceObserver, constants } from 'node:perf_hooks'
import type { GcInfo, GcSubscribe } from './types.js'

const MAJOR = constants.NODE_PERFORMANCE_GC_MAJOR

/**
 * The default GC seam: a `PerformanceObserver` on entry type `gc`. Node delivers entries in
 * batches after the GC (on a later turn of the loop); one call per batch is enough for a
 * sampler, flagged `major` when the batch holds a full mark-sweep/compact.
 * The observer holds no handle that keeps the process alive.
 */
export const observeGc: GcSubscribe = (onGc: (info: GcInfo) => void) => {
  const observer = new PerformanceObserver((list) => {
    let major = false
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail
      if (detail?.kind === MAJOR) major = true
    }
    onGc({ major })
  })
  observer.observe({ entryTypes: ['gc'] })
  return () => observer.disconnect()
}
