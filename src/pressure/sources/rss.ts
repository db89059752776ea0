import { readFileSync } from 'node:fs'
import os from 'node:os'
import type { Source, SourceContext } from '../types.js'
import { warnOnce } from '../../util/warn-once.js'
import { checkNumber, checkOptions, checkString, messageOf } from '../../util/validate.js'
import { Faults } from './faults.js'
import { Statm } from './statm.js'
import { cgroupPath, NO_LIMIT } from './cgroup-layout.js'

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

const realProbe: Required<MemoryLimitProbe> = {
  constrainedMemory: () => (typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : undefined),
  readFile: (path) => readFileSync(path, 'utf8'),
  totalmem: () => os.totalmem(),
}

function limitFrom(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const trimmed = text.trim()
  if (trimmed === '' || trimmed === 'max') return undefined
  const value = Number(trimmed)
  return Number.isFinite(value) && value > 0 && value < NO_LIMIT ? value : undefined
}

function tryRead(readFile: (path: string) => string, path: string): string | undefined {
  try {
    return readFile(path)
  } catch {
    return undefined // not Linux, no such controller, or /sys not mounted
  }
}

/** The smallest limit over a cgroup and its ancestors: a limit set on a parent applies to its children. */
function smallestUpTree(
  read: (path: string) => number | undefined,
  root: string,
  path: string,
  file: string,
): number | undefined {
  let smallest: number | undefined
  for (let dir = path; ; dir = dir.slice(0, dir.lastIndexOf('/'))) {
    const value = read(`${root}${dir}/${file}`)
    if (value !== undefined && (smallest === undefined || value < smallest)) smallest = value
    if (dir === '') return smallest
  }
}

/**
 * The memory this process may use, first found of (never more than total system memory: a
 * cgroup limit above the RAM there is does not make more of it):
 * 1. `process.constrainedMemory()`, when it gives a real limit (not 0, not 2^64 − 1);
 * 2. cgroup v2: `memory.max` of this process's cgroup and its ancestors (the smallest), under `/sys/fs/cgroup`;
 * 3. cgroup v1: `hierarchical_memory_limit` in the memory controller's `memory.stat` (which
 *    already folds in the ancestors), else `memory.limit_in_bytes`, own cgroup then the mount root;
 * 4. total system memory (`os.totalmem()`).
 */
export function detectMemoryLimit(probe: MemoryLimitProbe = {}): MemoryLimit {
  const { totalmem } = { ...realProbe, ...probe }
  const found = findMemoryLimit(probe)
  const total = totalmem()
  return found.origin !== 'totalmem' && total > 0 && found.bytes > total ? { ...found, bytes: total } : found
}

function findMemoryLimit(probe: MemoryLimitProbe): MemoryLimit {
  const { constrainedMemory, readFile, totalmem } = { ...realProbe, ...probe }
  const constrained = constrainedMemory()
  if (typeof constrained === 'number' && constrained > 0 && constrained < NO_LIMIT) {
    return { bytes: constrained, origin: 'constrainedMemory' }
  }
  const cgroups = tryRead(readFile, '/proc/self/cgroup')
  const readLimit = (path: string): number | undefined => limitFrom(tryRead(readFile, path))

  const v2Path = cgroupPath(cgroups)
  const v2 =
    v2Path === undefined
      ? readLimit('/sys/fs/cgroup/memory.max')
      : smallestUpTree(readLimit, '/sys/fs/cgroup', v2Path, 'memory.max')
  if (v2 !== undefined) return { bytes: v2, origin: 'cgroup-v2' }

  const v1Root = '/sys/fs/cgroup/memory'
  const v1Path = cgroupPath(cgroups, 'memory') ?? ''
  for (const dir of v1Path === '' ? [''] : [v1Path, '']) {
    const stat = tryRead(readFile, `${v1Root}${dir}/memory.stat`)
    const hierarchical = limitFrom(/^hierarchical_memory_limit (\d+)$/m.exec(stat ?? '')?.[1])
    const v1 = hierarchical ?? readLimit(`${v1Root}${dir}/memory.limit_in_bytes`)
    if (v1 !== undefined) return { bytes: v1, origin: 'cgroup-v1' }
  }
  return { bytes: totalmem(), origin: 'totalmem' }
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
    const detected = detectMemoryLimit()
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
