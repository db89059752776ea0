import os from 'node:os'
import type { Source } from '../types.js'
import { cgroupSource } from './cgroup.js'
import { findCgroup } from './cgroup-layout.js'
import { heapSource } from './heap.js'
import { rssSource } from './rss.js'

/**
 * Outside a container, resident memory is measured against the machine's memory only when the
 * machine is small for this heap: less than this many times the heap limit (a VM sized for one
 * service). On a developer's 24 GB machine with a 4 GB heap it could never reach a threshold
 * before the heap does, so it is left out, and nothing is said about it.
 */
const SMALL_MACHINE_HEAPS = 4

/**
 * The default sources: `heapSource()`; in a cgroup with a memory limit (a container),
 * `rssSource()` and `cgroupSource()` against that limit, so that every process there sees the
 * container's working set; outside one, `rssSource()` against total memory only on a machine
 * small for the heap (see `SMALL_MACHINE_HEAPS`).
 */
export function defaultSources(): Source[] {
  const heap = heapSource()
  const cgroup = findCgroup()
  if (cgroup !== undefined && Number.isFinite(cgroup.limit)) return [heap, rssSource(), cgroupSource()]
  const total = os.totalmem()
  // The limit is given, so rssSource() does not warn that no container limit was found: here that is the point.
  if (total < SMALL_MACHINE_HEAPS * heap.read().limit) return [heap, rssSource({ limit: total })]
  return [heap]
}
