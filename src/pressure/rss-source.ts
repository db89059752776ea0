import { readFileSync } from 'node:fs'
import os from 'node:os'
import type { Source } from './types.js'
import { warnOnce } from '../warn-once.js'

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

function readNumberFile(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim()
    if (text === 'max') return undefined
    const value = Number(text)
    return Number.isFinite(value) && value > 0 && value < NO_LIMIT ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * This process's cgroup path for a controller, from `/proc/self/cgroup`:
 * v2 lines read "0::/path", v1 lines "4:memory:/path".
 */
function ownCgroupPath(v1Controller?: string): string | undefined {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, path] = line.split(':', 3) as [string, string?, string?]
      if (path === undefined) continue
      const match = v1Controller === undefined ? controllers === '' : controllers!.split(',').includes(v1Controller)
      if (match) return path.trim().replace(/\/$/, '')
    }
  } catch {
    // not Linux, or /proc not mounted
  }
  return undefined
}

/**
 * The memory this process may use, first found of:
 * `process.constrainedMemory()`, cgroup v2 `memory.max` (own cgroup, then the root mount),
 * cgroup v1 `memory.limit_in_bytes`, and total system memory.
 */
export function detectMemoryLimit(): MemoryLimit {
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : undefined
  if (typeof constrained === 'number' && constrained > 0 && constrained < NO_LIMIT) {
    return { bytes: constrained, origin: 'constrainedMemory' }
  }
  const v2Path = ownCgroupPath()
  const v2 =
    (v2Path !== undefined && readNumberFile(`/sys/fs/cgroup${v2Path}/memory.max`)) ||
    readNumberFile('/sys/fs/cgroup/memory.max')
  if (v2) return { bytes: v2, origin: 'cgroup-v2' }
  const v1Path = ownCgroupPath('memory')
  const v1 =
    (v1Path !== undefined && readNumberFile(`/sys/fs/cgroup/memory${v1Path}/memory.limit_in_bytes`)) ||
    readNumberFile('/sys/fs/cgroup/memory/memory.limit_in_bytes')
  if (v1) return { bytes: v1, origin: 'cgroup-v1' }
  return { bytes: os.totalmem(), origin: 'totalmem' }
}

/**
 * Resident memory (`process.memoryUsage.rss()`) against the container limit, or total system
 * memory when no limit is found (warned once, code `HEAPGUARD_NO_CONTAINER_LIMIT`).
 * The limit is detected once, when the source is created.
 */
export function rssSource(options: RssSourceOptions = {}): Source {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`rssSource: options must be an object, got ${String(options)}`)
  }
  const { name = 'rss', limit: fixedLimit } = options
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`rssSource: option \`name\` must be a non-empty string, got ${JSON.stringify(name)}`)
  }
  if (fixedLimit !== undefined && !(typeof fixedLimit === 'number' && Number.isFinite(fixedLimit) && fixedLimit > 0)) {
    throw new RangeError(`rssSource: option \`limit\` must be a positive number of bytes, got ${String(fixedLimit)}`)
  }
  let limit = fixedLimit
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
