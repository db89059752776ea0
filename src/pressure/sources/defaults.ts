import type { Source } from '../types.js'
import { cgroupSource } from './cgroup.js'
import { findCgroup } from './cgroup-layout.js'
import { heapSource } from './heap.js'
import { rssSource } from './rss.js'

/**
 * The default sources: `heapSource()` and `rssSource()`, plus `cgroupSource()` when this process
 * is in a cgroup with a memory limit (a container), so that every process there sees the
 * container's working set against its limit.
 */
export function defaultSources(): Source[] {
  const sources = [heapSource(), rssSource()]
  const cgroup = findCgroup()
  if (cgroup !== undefined && Number.isFinite(cgroup.limit)) sources.push(cgroupSource())
  return sources
}
