import { readFileSync } from 'node:fs'
import os from 'node:os'
import type { Source } from '../types.js'
import { warnOnce } from '../../util/warn-once.js'
import { checkNumber, checkOptions, checkString } from '../../util/validate.js'

const W = 'rssSource'

/** cgroup files write "max" or a huge number (v1: about 2^63, page-aligned) for "no limit". */
const NO_LIMIT = 2 ** 60

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

/**
 * This process's cgroup path from `/proc/self/cgroup`: v2 lines read "0::/path" (the empty
 * controller list), v1 lines "4:memory:/path". A path may itself contain ':'.
 */
function ownCgroupPath(text: string | undefined, v1Controller?: string): string | undefined {
  for (const line of text?.split('\n') ?? []) {
    const first = line.indexOf(':')
    const second = line.indexOf(':', first + 1)
    if (first === -1 || second === -1) continue
    const controllers = line.slice(first + 1, second)
    const match = v1Controller === undefined ? controllers === '' : controllers.split(',').includes(v1Controller)
    if (match)
      return line
        .slice(second + 1)
        .trim()
        .replace(/\/$/, '')
  }
  return undefined
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
 * The memory this process may use, first found of:
 * 1. `process.constrainedMemory()`, when it gives a real limit;
 * 2. cgroup v2: `memory.max` of this process's cgroup and its ancestors (the smallest), under `/sys/fs/cgroup`;
 * 3. cgroup v1: `hierarchical_memory_limit` in the memory controller's `memory.stat` (which
 *    already folds in the ancestors), else `memory.limit_in_bytes`, own cgroup then the mount root;
 * 4. total system memory (`os.totalmem()`).
 */
export function detectMemoryLimit(probe: MemoryLimitProbe = {}): MemoryLimit {
  const { constrainedMemory, readFile, totalmem } = { ...realProbe, ...probe }
  const constrained = constrainedMemory()
  if (typeof constrained === 'number' && constrained > 0 && constrained < NO_LIMIT) {
    return { bytes: constrained, origin: 'constrainedMemory' }
  }
  const cgroups = tryRead(readFile, '/proc/self/cgroup')
  const readLimit = (path: string): number | undefined => limitFrom(tryRead(readFile, path))

  const v2Path = ownCgroupPath(cgroups)
  const v2 =
    v2Path === undefined
      ? readLimit('/sys/fs/cgroup/memory.max')
      : smallestUpTree(readLimit, '/sys/fs/cgroup', v2Path, 'memory.max')
  if (v2 !== undefined) return { bytes: v2, origin: 'cgroup-v2' }

  const v1Root = '/sys/fs/cgroup/memory'
  const v1Path = ownCgroupPath(cgroups, 'memory') ?? ''
  for (const dir of v1Path === '' ? [''] : [v1Path, '']) {
    const stat = tryRead(readFile, `${v1Root}${dir}/memory.stat`)
    const hierarchical = limitFrom(/^hierarchical_memory_limit (\d+)$/m.exec(stat ?? '')?.[1])
    const v1 = hierarchical ?? readLimit(`${v1Root}${dir}/memory.limit_in_bytes`)
    if (v1 !== undefined) return { bytes: v1, origin: 'cgroup-v1' }
  }
  return { bytes: totalmem(), origin: 'totalmem' }
}

/**
 * Resident memory (`process.memoryUsage.rss()`) against the container limit, or total system
 * memory when no limit is found (warned once, code `HEAPGUARD_NO_CONTAINER_LIMIT`).
 * The limit is detected once, when the source is created.
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
  const bytes = limit
  return { name, read: () => ({ used: process.memoryUsage.rss(), limit: bytes }) }
}
