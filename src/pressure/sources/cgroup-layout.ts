import { readFileSync } from 'node:fs'

/**
 * cgroup files write "max" or a huge number (v1: about 2^63, page-aligned) for "no limit", and
 * `process.constrainedMemory()` gives 2^64 − 1 (Node 20) or 0 (later versions) for the same.
 */
export const NO_LIMIT = 2 ** 60

/** Where the cgroup filesystem and /proc are mounted. */
export interface CgroupPaths {
  /** Default `/sys/fs/cgroup`. */
  root: string
  /** Default `/proc`. */
  proc: string
}

export const DEFAULT_CGROUP_PATHS: Readonly<CgroupPaths> = Object.freeze({ root: '/sys/fs/cgroup', proc: '/proc' })

/** The cgroup whose memory limit applies to this process, and the files to read there. */
export interface CgroupLayout {
  version: 1 | 2
  /** Its directory (absolute). */
  dir: string
  /** Its limit in bytes; Infinity when no cgroup up the tree has one. */
  limit: number
  /** Usage: `memory.current` (v2) or `memory.usage_in_bytes` (v1). */
  usage: string
  /** `memory.stat`, with inactive file pages under `inactiveKey`. */
  stat: string
  inactiveKey: 'inactive_file' | 'total_inactive_file'
  /** Pressure stall information: the cgroup's `memory.pressure` (v2), else `/proc/pressure/memory`. */
  pressure: string
}

/** Reads a file as text; undefined when it cannot be read (not Linux, no such controller, /sys not mounted). */
export type Read = (path: string) => string | undefined

export const readText: Read = (path) => {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return undefined
  }
}

/** A limit file's value: "max", nothing, or ≈ 2^63 (v1) mean no limit (Infinity); garbage counts as none too. */
export function limitValue(text: string | undefined): number {
  const value = Number(text?.trim())
  return text !== undefined && Number.isFinite(value) && value > 0 && value < NO_LIMIT ? value : Infinity
}

/**
 * This process's path in one hierarchy, from `/proc/self/cgroup`: v2 lines read "0::/path" (an
 * empty controller list), v1 lines "4:memory:/path" (a path may itself hold ':').
 */
export function cgroupPath(text: string | undefined, v1Controller?: string): string | undefined {
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

/**
 * The cgroups a limit may come from, own first, then each ancestor up to the mount's root. A
 * process in a container without its own cgroup namespace sees the host's path, which is not
 * mounted there: then only the mount's root (the container's own cgroup) counts.
 */
function chain(mount: string, own: string | undefined, marker: string, read: Read): string[] {
  const dirs: string[] = []
  if (own !== undefined && own !== '' && read(`${mount}${own}/${marker}`) !== undefined) {
    for (let dir = own; dir !== ''; dir = dir.slice(0, dir.lastIndexOf('/'))) dirs.push(`${mount}${dir}`)
  }
  dirs.push(mount)
  return dirs.filter((dir) => read(`${dir}/${marker}`) !== undefined)
}

/**
 * Of the chain, the cgroup with the smallest limit (its own usage is what that limit applies
 * to; on a tie the outermost, whose usage includes the others'); the own cgroup when none has a
 * limit.
 */
function tightest(
  dirs: readonly string[],
  limitOf: (dir: string) => number,
): { dir: string; limit: number } | undefined {
  let best: { dir: string; limit: number } | undefined
  for (const dir of dirs) {
    const limit = limitOf(dir)
    if (best === undefined || limit <= best.limit) best = { dir, limit }
  }
  return best !== undefined && best.limit === Infinity ? { dir: dirs[0]!, limit: Infinity } : best
}

/**
 * The memory limit of this process's cgroups, the smallest up the tree: cgroup v2 `memory.max`,
 * else cgroup v1 `hierarchical_memory_limit` (which folds in the ancestors) or
 * `memory.limit_in_bytes`. Undefined when no cgroup sets one. What `rssSource()` compares
 * resident memory with; `cgroupSource()` finds its cgroup with `findCgroup` below, which also
 * takes `memory.high`.
 */
export function cgroupMemoryLimit(
  paths: CgroupPaths = DEFAULT_CGROUP_PATHS,
  read: Read = readText,
): { bytes: number; version: 1 | 2 } | undefined {
  const own = read(`${paths.proc}/self/cgroup`)
  const v2 = tightest(chain(paths.root, cgroupPath(own), 'memory.max', read), (dir) =>
    limitValue(read(`${dir}/memory.max`)),
  )
  if (v2 !== undefined && Number.isFinite(v2.limit)) return { bytes: v2.limit, version: 2 }
  const mount = `${paths.root}/memory`
  const v1 = tightest(chain(mount, cgroupPath(own, 'memory'), 'memory.limit_in_bytes', read), (dir) =>
    Math.min(
      limitValue(/^hierarchical_memory_limit (\d+)$/m.exec(read(`${dir}/memory.stat`) ?? '')?.[1]),
      limitValue(read(`${dir}/memory.limit_in_bytes`)),
    ),
  )
  if (v1 !== undefined && Number.isFinite(v1.limit)) return { bytes: v1.limit, version: 1 }
  return undefined
}

/**
 * Finds the memory cgroup of this process: cgroup v2 when the mount's root is a v2 hierarchy
 * with the memory controller, else the v1 memory controller under `<root>/memory`. The limit is
 * `memory.high` when set (the kernel throttles and reclaims hard above it), else `memory.max`
 * (v2), or `memory.limit_in_bytes` (v1), the smallest up the tree. Undefined when neither exists.
 */
export function findCgroup(paths: CgroupPaths = DEFAULT_CGROUP_PATHS, read: Read = readText): CgroupLayout | undefined {
  const { root, proc } = paths
  const own = read(`${proc}/self/cgroup`)
  const controllers = read(`${root}/cgroup.controllers`)
  if (controllers !== undefined && controllers.split(/\s+/).includes('memory')) {
    const dirs = chain(root, cgroupPath(own), 'memory.current', read)
    const found = tightest(dirs, (dir) =>
      Math.min(limitValue(read(`${dir}/memory.max`)), limitValue(read(`${dir}/memory.high`))),
    )
    if (found === undefined) return undefined
    return {
      version: 2,
      ...found,
      usage: `${found.dir}/memory.current`,
      stat: `${found.dir}/memory.stat`,
      inactiveKey: 'inactive_file',
      pressure: `${found.dir}/memory.pressure`,
    }
  }
  const mount = `${root}/memory`
  const dirs = chain(mount, cgroupPath(own, 'memory'), 'memory.usage_in_bytes', read)
  const found = tightest(dirs, (dir) => limitValue(read(`${dir}/memory.limit_in_bytes`)))
  if (found === undefined) return undefined
  return {
    version: 1,
    ...found,
    usage: `${found.dir}/memory.usage_in_bytes`,
    stat: `${found.dir}/memory.stat`,
    inactiveKey: 'total_inactive_file',
    pressure: `${proc}/pressure/memory`,
  }
}
