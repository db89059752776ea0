import type { Reading, Source, SourceContext, SourceFloor } from '../types.js'
import { checkBoolean, checkNumber, checkOptions, checkString, messageOf } from '../../util/validate.js'
import { DEFAULT_CGROUP_PATHS, findCgroup, type CgroupLayout, type CgroupPaths } from './cgroup-layout.js'
import { Faults } from './faults.js'
import { KeptFile } from './kept-file.js'
import { keyValues, MemoryEvents } from './memory-events.js'
import { Psi } from './psi.js'
import { memoryLimit, residentReader } from './rss.js'
import { Statm } from './statm.js'

const W = 'cgroupSource'

export interface CgroupSourceOptions {
  /** Source name; default `'cgroup'`. */
  name?: string
  /** Overrides the cgroup's limit (bytes). */
  limit?: number
  /** Default true: `memory.events` (v2) or `memory.failcnt` / `memory.oom_control` (v1) raise floors. */
  events?: boolean
  /** Default true: pressure stall information raises floors (`memory.pressure`, or `/proc/pressure/memory` on v1). */
  psi?: boolean
  /** Where the cgroup filesystem and /proc are mounted; default `/sys/fs/cgroup` and `/proc`. */
  paths?: Partial<CgroupPaths>
}

/** The files of one cgroup, kept open. */
interface Open {
  layout: CgroupLayout
  usage: KeptFile
  stat: KeptFile
  events: MemoryEvents | undefined
  psi: Psi | undefined
}

/**
 * The container's working set, as the kubelet computes it: usage less inactive file pages (page
 * cache the kernel reclaims first), against the cgroup's limit (`memory.high` when set, else
 * `memory.max`, the smallest up the tree; v1: `memory.limit_in_bytes`). Every process in the
 * container sees the same figure, so the workers of a cluster all react when together they near
 * the limit, though each one's own heap and RSS are small.
 *
 * - Usage is read on every sample (one pread of a kept-open file); `memory.stat` (whose
 *   inactive-file figure moves slowly, and costs the kernel ≈ 25 µs to produce), the limit,
 *   `memory.events` and PSI on the slow poll.
 * - Faults never throw from a sample: a missing, unreadable or garbage file is reported once per
 *   kind on `'error'` and the source falls back (no inactive file subtracted; no event or PSI
 *   floors; this process's RSS when usage itself cannot be read), and tries again on the next
 *   slow poll, finding the cgroup afresh (a container that migrated reads its new cgroup).
 */
export function cgroupSource(options: CgroupSourceOptions = {}): Source {
  const o = checkOptions<CgroupSourceOptions>(W, 'options', options, ['name', 'limit', 'events', 'psi', 'paths'])
  const name = o.name === undefined ? 'cgroup' : checkString(W, 'option `name`', o.name)
  const fixedLimit = o.limit === undefined ? undefined : checkNumber(W, 'option `limit`', o.limit, { above: 0 })
  const events = checkBoolean(W, 'option `events`', o.events ?? true)
  const psi = checkBoolean(W, 'option `psi`', o.psi ?? true)
  const paths = resolvePaths(o.paths)
  return new CgroupReader(name, paths, fixedLimit, events, psi).source
}

function resolvePaths(value: unknown): CgroupPaths {
  const p = checkOptions<CgroupPaths>(W, 'option `paths`', value, ['root', 'proc'])
  return {
    root: p.root === undefined ? DEFAULT_CGROUP_PATHS.root : checkString(W, 'option `paths.root`', p.root),
    proc: p.proc === undefined ? DEFAULT_CGROUP_PATHS.proc : checkString(W, 'option `paths.proc`', p.proc),
  }
}

class CgroupReader {
  readonly source: Source
  readonly #paths: CgroupPaths
  readonly #fixedLimit: number | undefined
  readonly #withEvents: boolean
  readonly #withPsi: boolean
  readonly #faults: Faults
  readonly #statm = Statm.open()
  readonly #resident: (context?: SourceContext) => number
  #open: Open | undefined
  #limit: number
  /** Inactive file bytes from the last `memory.stat` read (0 until one succeeds). */
  #inactive = 0

  constructor(name: string, paths: CgroupPaths, fixedLimit: number | undefined, events: boolean, psi: boolean) {
    this.#paths = paths
    this.#fixedLimit = fixedLimit
    this.#withEvents = events
    this.#withPsi = psi
    this.#faults = new Faults(name)
    this.#resident = residentReader(name, this.#statm)
    this.#limit = fixedLimit ?? memoryLimit(paths).bytes
    this.#resolve(undefined)
    this.source = {
      name,
      read: (context) => this.#read(context),
      poll: (context) => this.#poll(context),
      close: () => this.#close(),
    }
  }

  #read(context: SourceContext | undefined): Reading {
    const open = this.#open
    if (open !== undefined) {
      try {
        const usage = open.usage.read().number()
        if (Number.isFinite(usage)) return { used: Math.max(0, usage - this.#inactive), limit: this.#limit }
        this.#faults.report(
          context,
          'usage-garbage',
          `${open.usage.path} holds no number: ${JSON.stringify(open.usage.text().slice(0, 40))}; reading this process's RSS instead`,
        )
      } catch (error) {
        this.#faults.report(
          context,
          'usage',
          `cannot read ${open.usage.path} (${messageOf(error)}); reading this process's RSS instead`,
          error,
        )
      }
    } else {
      this.#faults.report(
        context,
        'missing',
        `no cgroup memory controller found under ${this.#paths.root}; reading this process's RSS instead`,
      )
    }
    return { used: this.#resident(context), limit: this.#limit }
  }

  /** The slow poll: the cgroup found afresh (and its limit), inactive file pages, events and PSI. */
  #poll(context: SourceContext): SourceFloor[] {
    this.#resolve(context)
    const open = this.#open
    if (open === undefined) return []
    this.#readStat(open, context)
    const floors: SourceFloor[] = []
    if (open.events !== undefined) {
      try {
        const workingSet = this.#read(context).used / this.#limit
        const { floors: raised, report } = open.events.poll(workingSet, context.now())
        floors.push(...raised)
        if (report !== undefined) this.#faults.notice(context, `${report} (${open.layout.dir})`)
      } catch (error) {
        this.#faults.report(
          context,
          'events',
          `cannot read the cgroup's memory events (${messageOf(error)}); no floors from them`,
          error,
        )
      }
    }
    if (open.psi !== undefined) {
      try {
        const floor = open.psi.poll()
        if (floor !== undefined) floors.push(floor)
      } catch (error) {
        this.#faults.report(context, 'psi', `${messageOf(error)}; no floors from stall information`, error)
      }
    }
    return floors
  }

  #readStat(open: Open, context: SourceContext | undefined): void {
    try {
      const value = inactiveBytes(open)
      if (value !== undefined) {
        this.#inactive = value
        return
      }
      this.#faults.report(
        context,
        'stat',
        `${open.stat.path} has no ${open.layout.inactiveKey} line; counting usage with its page cache`,
      )
    } catch (error) {
      this.#faults.report(
        context,
        'stat',
        `cannot read ${open.stat.path} (${messageOf(error)}); counting usage with its page cache`,
        error,
      )
    }
    this.#inactive = 0
  }

  /** Finds the cgroup (again); reopens its files when it moved, and takes its current limit. */
  #resolve(context: SourceContext | undefined): void {
    const layout = findCgroup(this.#paths)
    if (layout === undefined) {
      this.#closeFiles()
      return
    }
    if (this.#open?.layout.dir !== layout.dir) {
      this.#closeFiles()
      this.#open = {
        layout,
        usage: new KeptFile(layout.usage, 64),
        stat: new KeptFile(layout.stat, 2048),
        events: this.#withEvents ? new MemoryEvents(layout) : undefined,
        psi: this.#withPsi ? new Psi(layout.pressure) : undefined,
      }
      // At construction, a first figure for inactive file pages; a failure is reported by the first poll.
      if (context === undefined) {
        try {
          this.#inactive = inactiveBytes(this.#open) ?? 0
        } catch {
          this.#inactive = 0
        }
      }
    } else {
      this.#open.layout = layout
    }
    this.#limit = this.#fixedLimit ?? (Number.isFinite(layout.limit) ? layout.limit : memoryLimit(this.#paths).bytes)
  }

  /** Releases the descriptors and forgets the cgroup. */
  #closeFiles(): void {
    this.#release()
    this.#open = undefined
  }

  /** Releases the descriptors but keeps the cgroup: a later read opens its files again. */
  #release(): void {
    const open = this.#open
    open?.usage.close()
    open?.stat.close()
    open?.events?.close()
    open?.psi?.close()
  }

  #close(): void {
    this.#release()
    this.#statm?.close()
  }
}

/** Inactive file bytes from `memory.stat`; undefined when the line is missing or bad; throws when the file cannot be read. */
function inactiveBytes(open: Open): number | undefined {
  const value = keyValues(open.stat.read().text())[open.layout.inactiveKey]
  return value !== undefined && value >= 0 ? value : undefined
}
