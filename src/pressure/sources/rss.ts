import os from 'node:os'
import type { Source, SourceContext } from '../types.js'
import { warnOnce } from '../../util/warn-once.js'
import { checkNumber, checkOptions, checkString, messageOf } from '../../util/validate.js'
import { Faults } from './faults.js'
import { Statm } from './statm.js'
import {
  cgroupMemoryLimit,
  DEFAULT_CGROUP_PATHS,
  NO_LIMIT,
  readText,
  type CgroupPaths,
  type Read,
} from './cgroup-layout.js'

const W = 'rssSource'

export type MemoryLimitOrigin = 'constrainedMemory' | 'cgroup-v2' | 'cgroup-v1' | 'totalmem'

export interface MemoryLimit {
  bytes: number
  origin: MemoryLimitOrigin
}

export interface RssSourceOptions {
  /** Source name; default `'rss'`. */
  name?: string
  /** Overrides the detected limit (bytes). */
  limit?: number
}

/** Where `detectMemoryLimit` looks; each field defaults to the real thing (tests replace them). */
export interface MemoryLimitProbe {
  constrainedMemory?: () => number | undefined
  /** Reads a file as text; throws when it does not exist. */
  readFile?: (path: string) => string
  totalmem?: () => number
}

/**
 * The memory this process may use, first found of (never more than total system memory: a
 * cgroup limit above the RAM there is does not make more of it):
 * 1. `process.constrainedMemory()`, when it gives a real limit (not 0, not 2^64 − 1);
 * 2. the smallest cgroup limit up the tree (`cgroupMemoryLimit`: v2 `memory.max`, else v1), under `paths`;
 * 3. total system memory (`os.totalmem()`).
 */
export function memoryLimit(paths: CgroupPaths = DEFAULT_CGROUP_PATHS, probe: MemoryLimitProbe = {}): MemoryLimit {
  const total = (probe.totalmem ?? os.totalmem)()
  const found = findMemoryLimit(paths, probe, total)
  return found.origin !== 'totalmem' && total > 0 && found.bytes > total ? { ...found, bytes: total } : found
}

function findMemoryLimit(paths: CgroupPaths, probe: MemoryLimitProbe, total: number): MemoryLimit {
  const constrained = (probe.constrainedMemory ?? constrainedMemory)()
  if (typeof constrained === 'number' && constrained > 0 && constrained < NO_LIMIT) {
    return { bytes: constrained, origin: 'constrainedMemory' }
  }
  const { readFile } = probe
  const read: Read =
    readFile === undefined
      ? readText
      : (path) => {
          try {
            return readFile(path)
          } catch {
            return undefined
          }
        }
  const cgroup = cgroupMemoryLimit(paths, read)
  if (cgroup !== undefined) return { bytes: cgroup.bytes, origin: cgroup.version === 2 ? 'cgroup-v2' : 'cgroup-v1' }
  return { bytes: total, origin: 'totalmem' }
}

function constrainedMemory(): number | undefined {
  return typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : undefined
}

/**
 * The memory limit `rssSource()` uses, from the real process and the mounted cgroups.
 * @deprecated Since 0.2.0: a seam for heapguard's own tests, not API. `rssSource().read().limit`
 * gives the limit an RSS source uses. To be removed in 1.0.
 */
export function detectMemoryLimit(probe: MemoryLimitProbe = {}): MemoryLimit {
  return memoryLimit(DEFAULT_CGROUP_PATHS, probe)
}

/**
 * Resident memory against the container limit, or total system memory when no limit is found
 * (warned once, code `HEAPGUARD_NO_CONTAINER_LIMIT`). The limit is detected once, when the
 * source is created. Where the platform has it (Linux), RSS is read from a kept-open
 * `/proc/self/statm` (see `Statm`), else with `process.memoryUsage.rss()`; `close()` releases
 * the descriptor (a later read opens it again).
 */
export function rssSource(options: RssSourceOptions = {}): Source {
  const o = checkOptions<RssSourceOptions>(W, 'options', options, ['name', 'limit'])
  const name = o.name === undefined ? 'rss' : checkString(W, 'option `name`', o.name)
  let limit = o.limit === undefined ? undefined : checkNumber(W, 'option `limit`', o.limit, { above: 0 })
  if (limit === undefined) {
    const detected = memoryLimit()
    if (detected.origin === 'totalmem') {
      warnOnce(
        'HEAPGUARD_NO_CONTAINER_LIMIT',
        'heapguard: no container memory limit found; rssSource() measures resident memory against total system memory',
      )
    }
    limit = detected.bytes
  }
  return residentSource(name, limit)
}

/** `{ name, read, close }` reading resident memory against `limit`: statm where there is one, with a fallback. */
function residentSource(name: string, limit: number): Source {
  const statm = Statm.open()
  const resident = residentReader(name, statm)
  return { name, read: (context) => ({ used: resident(context), limit }), close: () => statm?.close() }
}

/**
 * This process's resident bytes: from `statm` when it was opened, falling back to
 * `process.memoryUsage.rss()` for a read that fails (reported once).
 */
export function residentReader(name: string, statm: Statm | undefined): (context?: SourceContext) => number {
  if (statm === undefined) return () => process.memoryUsage.rss()
  const faults = new Faults(name)
  return (context) => {
    try {
      return statm.rss()
    } catch (error) {
      faults.report(
        context,
        'statm',
        `cannot read /proc/self/statm (${messageOf(error)}); reading process.memoryUsage.rss() instead`,
        error,
      )
      return process.memoryUsage.rss()
    }
  }
}
