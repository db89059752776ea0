// A memory cgroup of the test's own, for real-process tests of cgroupSource(): created under the
// mounted hierarchy (cgroup v1's memory controller at /sys/fs/cgroup/memory, or cgroup v2 at
// /sys/fs/cgroup with the memory controller enabled for children), with a limit, and removed at
// the end, its processes killed first. Needs root (or a delegated subtree).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { requirement, type Requirement } from './machine.js'

const V1 = '/sys/fs/cgroup/memory'
const V2 = '/sys/fs/cgroup'

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Which hierarchy can hold a test cgroup here, if any: one is made and removed to find out. */
function writableHierarchy(): { version: 1 | 2; parent: string } | undefined {
  const candidates: { version: 1 | 2; parent: string }[] = []
  if (existsSync(join(V1, 'memory.limit_in_bytes'))) candidates.push({ version: 1, parent: V1 })
  const v2 = read(join(V2, 'cgroup.subtree_control'))
  if (v2 !== undefined && v2.split(/\s+/).includes('memory')) candidates.push({ version: 2, parent: V2 })
  for (const candidate of candidates) {
    const probe = join(candidate.parent, `heapguard-probe-${process.pid}`)
    try {
      mkdirSync(probe)
      rmdirSync(probe)
      return candidate
    } catch {
      // not writable here (not root, or a read-only mount)
    }
  }
  return undefined
}

export interface TestCgroup {
  version: 1 | 2
  dir: string
  limit: number
  /** `cgroup.procs`: a process that writes its pid there moves itself in. */
  procs: string
  /** Usage less inactive file pages, as cgroupSource() computes it (bytes). */
  workingSet(): number
  /** Kills what runs in it and removes it; never throws (returns what went wrong, if anything). */
  remove(): Promise<string | undefined>
}

export function memoryCgroupSupport(): Requirement & { version?: 1 | 2; parent?: string } {
  const found = writableHierarchy()
  return {
    ...found,
    ...requirement(
      'a writable memory cgroup',
      found !== undefined,
      'run as root with the cgroup v1 memory controller mounted read-write at /sys/fs/cgroup/memory, ' +
        'or cgroup v2 at /sys/fs/cgroup with "memory" in cgroup.subtree_control',
    ),
  }
}

export function createMemoryCgroup(version: 1 | 2, parent: string, limit: number): TestCgroup {
  const dir = join(parent, `heapguard-test-${process.pid}-${Date.now()}`)
  mkdirSync(dir)
  const limitFile = version === 1 ? 'memory.limit_in_bytes' : 'memory.max'
  writeFileSync(join(dir, limitFile), String(limit))
  return {
    version,
    dir,
    limit,
    procs: join(dir, 'cgroup.procs'),
    workingSet: () => {
      const usage = Number(read(join(dir, version === 1 ? 'memory.usage_in_bytes' : 'memory.current')))
      return usage - statValue(dir, version === 1 ? 'total_inactive_file' : 'inactive_file')
    },
    remove: () => removeCgroup(dir),
  }
}

function statValue(dir: string, key: string): number {
  const text = read(join(dir, 'memory.stat')) ?? ''
  const line = text.split('\n').find((l) => l.startsWith(`${key} `))
  return line === undefined ? 0 : Number(line.slice(key.length + 1))
}

async function removeCgroup(dir: string): Promise<string | undefined> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const pids = (read(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number)
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    try {
      if (pids.length === 0) {
        rmdirSync(dir)
        return undefined
      }
    } catch (error) {
      if (Date.now() > deadline) return `could not remove ${dir}: ${(error as Error).message}`
    }
    if (!existsSync(dir)) return undefined
    if (Date.now() > deadline) return `could not remove ${dir}: processes ${pids.join(', ')} still in it`
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
