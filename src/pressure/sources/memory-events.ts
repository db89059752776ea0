import type { SourceFloor } from '../types.js'
import type { CgroupLayout } from './cgroup-layout.js'
import { KeptFile } from './kept-file.js'

/**
 * Below this working-set ratio, the cgroup reaching its limit means the kernel reclaimed page
 * cache to make room, which is what page cache is for: `max` (v2) and `failcnt` (v1) rise all
 * the time in a container that reads files. They count only from this ratio up.
 */
export const LIMIT_HITS_FROM = 0.6

/** Counter rises are reported at most this often per counter (the counts in between are summed). */
const REPORT_EVERY_MS = 60_000

/** What a poll found: the floors, and what to report (nothing when quiet). */
export interface EventsReading {
  floors: SourceFloor[]
  report?: string
}

/** The counters read from a cgroup: v2 `memory.events`, or v1 `memory.failcnt` and `memory.oom_control`. */
type Counters = Record<'high' | 'max' | 'oom' | 'oom_kill' | 'under_oom', number>

const FIELDS = ['high', 'max', 'oom', 'oom_kill', 'under_oom'] as const

/** `key value` lines (memory.events, memory.oom_control, memory.stat) into a record; garbage lines are skipped. */
export function keyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ')
    if (space <= 0) continue
    const value = Number(line.slice(space + 1))
    if (Number.isFinite(value)) out[line.slice(0, space)] = value
  }
  return out
}

/**
 * The kernel's own account of memory trouble in the cgroup, read on the slow poll:
 * - `oom` or `oom_kill` rising (v2), `oom_kill` rising or `under_oom` set (v1): the OOM killer
 *   ran, or the cgroup is out of memory now. Reported, and `critical` for `recoveryMs`.
 * - `max` rising (v2) or `failcnt` rising (v1), with the working set at `LIMIT_HITS_FROM` or
 *   above: allocations hit the hard limit. Reported, and `critical` for `recoveryMs`.
 * - `high` rising (v2), with the working set at `LIMIT_HITS_FROM` or above: the kernel throttles
 *   and reclaims above `memory.high`. `warning` for `recoveryMs`, not reported.
 * The first poll only sets the baseline: counts from before the controller started are history.
 */
export class MemoryEvents {
  readonly #files: KeptFile[]
  #last: Counters | undefined
  readonly #unreported: Record<string, number> = {}
  readonly #reportedAt: Record<string, number> = {}

  constructor(layout: CgroupLayout) {
    this.#files =
      layout.version === 2
        ? [new KeptFile(`${layout.dir}/memory.events`)]
        : [new KeptFile(`${layout.dir}/memory.failcnt`, 64), new KeptFile(`${layout.dir}/memory.oom_control`)]
  }

  /** Throws when a file cannot be read or holds garbage (the caller reports it once and carries on). */
  poll(workingSet: number, at: number): EventsReading {
    const now = this.#read()
    const last = this.#last
    this.#last = now
    if (last === undefined) return { floors: [] }
    const rose = (key: keyof Counters) => Math.max(0, now[key] - last[key])
    const floors: SourceFloor[] = []
    const hits = workingSet >= LIMIT_HITS_FROM
    const killed = rose('oom_kill')
    const ooms = rose('oom')
    const maxHits = hits ? rose('max') : 0
    const pct = `${Math.round(workingSet * 100)} %`
    if (killed > 0 || ooms > 0 || now.under_oom > 0) {
      floors.push({
        level: 'critical',
        signal: 'memory.events',
        reason: `the cgroup ran out of memory (${killed} OOM kill(s) since the last poll)`,
      })
    }
    if (maxHits > 0) {
      floors.push({
        level: 'critical',
        signal: 'memory.events',
        reason: `allocations hit the cgroup's limit ${maxHits} time(s) since the last poll, working set ${pct}`,
      })
    }
    if (hits && rose('high') > 0) {
      floors.push({
        level: 'warning',
        signal: 'memory.high',
        reason: `the kernel throttles above memory.high, working set ${pct}`,
      })
    }
    return { floors, report: this.#report({ oom_kill: killed, oom: ooms, max: maxHits }, at) }
  }

  close(): void {
    for (const file of this.#files) file.close()
  }

  #read(): Counters {
    const [first, second] = this.#files as [KeptFile, KeptFile | undefined]
    if (second === undefined) {
      const values = keyValues(first.read().text())
      return counters(first.path, ['high', 'max', 'oom', 'oom_kill'], { ...values, under_oom: 0 })
    }
    const failcnt = first.read().number()
    if (!(failcnt >= 0)) throw new Error(`${first.path} holds no count: ${JSON.stringify(first.text())}`)
    // Kernels before 4.13 have no oom_kill line: only under_oom tells.
    const oom = keyValues(second.read().text())
    return counters(second.path, ['under_oom'], { high: 0, oom: 0, oom_kill: 0, ...oom, max: failcnt })
  }

  /** One line for the counters that rose, at most once a minute per counter; what is held back is summed into the next. */
  #report(rises: Record<string, number>, at: number): string | undefined {
    const parts: string[] = []
    for (const [key, rise] of Object.entries(rises)) {
      const pending = (this.#unreported[key] ?? 0) + rise
      if (pending === 0) continue
      if (at - (this.#reportedAt[key] ?? -Infinity) < REPORT_EVERY_MS) {
        this.#unreported[key] = pending
        continue
      }
      this.#unreported[key] = 0
      this.#reportedAt[key] = at
      parts.push(`${key} +${pending}`)
    }
    return parts.length === 0 ? undefined : `memory events in the cgroup: ${parts.join(', ')}`
  }
}

/** The counters, each a count >= 0; a `required` one missing means the file is not what it should be. */
function counters(path: string, required: readonly string[], values: Record<string, number>): Counters {
  for (const field of required) {
    if (values[field] === undefined) throw new Error(`${path} has no \`${field}\` line`)
  }
  const out = {} as Counters
  for (const field of FIELDS) {
    const value = values[field] ?? 0
    if (!(value >= 0)) throw new Error(`${path} has a bad \`${field}\` count: ${value}`)
    out[field] = value
  }
  return out
}
