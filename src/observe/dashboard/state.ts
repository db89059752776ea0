import { levelRank, type Level } from '../../pressure/levels.js'
import type { Mode } from '../../pressure/delivery/level-bus.js'
import type { Trend } from '../../pressure/history/trend.js'
import type { Floor, LevelChange, Sample, Thresholds } from '../../pressure/types.js'
import type { CacheStats } from '../../caches/types.js'
import type { FlagInfo } from '../../degrade/features.js'
import type { TaskInfo } from '../../degrade/task.js'
import type { CacheBudgetStats } from '../../caches/pool.js'
import type { ObservedController, ObservedReservationStats, ObservedShedStats } from '../observed.js'
import { messageOf } from '../../util/validate.js'
import { readDatabase, type DatabaseState } from './database.js'
import type { LeakStats, LeakSuspect } from '../../leaks/leaks.js'
import type { LeakReportData } from '../../leaks/report.js'
import { unmanagedBytes } from '../unmanaged.js'

/** One point of the ratio chart: `[at, ratio, level rank 0..3]`; short, because the stream repeats it. */
export type ChartPoint = [at: number, ratio: number, rank: number]

export interface SourceState {
  name: string
  used: number
  limit: number
  ratio: number
  /** Bytes live reservations add to this source (null on a source reservations do not count against). */
  reserved: number | null
}

/**
 * Everything the dashboard shows except the chart points: one JSON view of the controller
 * shared by the page's first load, the event stream and `?format=json`.
 */
export interface DashboardState {
  /** The controller's time of the newest sample or transition (ms, its own clock). */
  at: number
  level: Level
  measuredLevel: Level
  forced: Level | null
  /** `'observe'`: measured, not enforced (see docs/rollout.md); null for a controller without modes. */
  mode: Mode | null
  ratio: number
  thresholds: Readonly<Thresholds>
  hysteresis: number
  /**
   * Each source's last reading, by name, in the order of the controller's sources: the shape of
   * `Sample.sources` (`state.sources.heap`, `sample.sources.heap`), with the name repeated inside.
   */
  sources: Record<string, SourceState>
  trend: Trend
  /** Why the level is what it is: the reason of the last change (`null` before one). */
  why: string | null
  /** The floors that hold now (GC effort, cgroup events, stall information), highest first. */
  floors: Floor[]
  /** The most recent level changes, newest last, each with its reason. */
  transitions: LevelChange[]
  transitionCounts: Record<Level, number>
  /** null when the controller has no such subsystem. */
  caches: CacheStats[] | null
  shed: ObservedShedStats | null
  /** The reservation ledger, or null on a controller without one. */
  reservations: ObservedReservationStats | null
  /** The caches' byte budget, or null without one. */
  cacheBudget: CacheBudgetStats | null
  features: FlagInfo[] | null
  tasks: TaskInfo[] | null
  /** Prisma reads by model and the managed pg pools; null when no database adapter was given the controller. */
  database: DatabaseState | null
  /** What grows: the newest report (its top sites), a leak still held, the counts; null without leaks. */
  leaks: LeaksState | null
  /** Heap not in managed caches: the post-GC heap less the caches and what reservations hold; null before a major GC. */
  unmanaged: number | null
  closed: boolean
  /** Subsystems whose read failed, with the message (the rest of the state is still shown). */
  errors: string[]
}

/** The "What grows" panel's data. */
export interface LeaksState {
  running: boolean
  /** The newest report, its sites cut to the first `LEAK_SITES_SHOWN` and their stacks to 5 frames. */
  report: LeakReportData | null
  suspect: Omit<LeakSuspect, 'report'> | null
  stats: LeakStats
}

/** Sites the panel lists (the whole report is one click away, as text). */
const LEAK_SITES_SHOWN = 10

/** Transitions the page lists. */
const RECENT_TRANSITIONS = 20

export function toPoint(sample: Sample): ChartPoint {
  return [sample.at, sample.ratio, levelRank(sample.level)]
}

export function changeToPoint(change: LevelChange): ChartPoint {
  return [change.at, change.ratio, levelRank(change.to)]
}

/** Reads the whole state; a subsystem that throws is shown as missing with its error, never breaks the page. */
export function readState(pressure: ObservedController): DashboardState {
  const errors: string[] = []
  const read = <T>(what: string, fn: () => T): T | null => {
    try {
      return fn()
    } catch (error) {
      errors.push(`${what}: ${messageOf(error)}`)
      return null
    }
  }
  const last = pressure.lastSample
  const caches = pressure.caches ? read('caches', () => pressure.caches!.stats()) : null
  const reservations = pressure.reservations ? read('reservations', () => pressure.reservations!.stats()) : null
  const trend = pressure.trend()
  const transitions = pressure.transitions().slice(-RECENT_TRANSITIONS)
  const lastChange = transitions[transitions.length - 1]
  return {
    at: Math.max(last?.at ?? 0, lastChange?.at ?? 0),
    level: pressure.level,
    measuredLevel: pressure.measuredLevel,
    forced: pressure.forced,
    mode: pressure.mode ?? null,
    ratio: pressure.ratio,
    thresholds: pressure.thresholds,
    hysteresis: pressure.hysteresis,
    sources: Object.fromEntries(
      Object.entries(last?.sources ?? {}).map(([name, r]) => [
        name,
        { name, used: r.used, limit: r.limit, ratio: r.ratio, reserved: r.reserved ?? null },
      ]),
    ),
    trend,
    why: lastChange?.reason ?? null,
    floors: pressure.floors ? (read('floors', () => pressure.floors!()) ?? []) : [],
    transitions,
    transitionCounts: pressure.transitionCounts(),
    caches,
    shed: pressure.shed ? read('shed', () => pressure.shed!.stats()) : null,
    reservations,
    cacheBudget: pressure.caches ? read('cache budget', () => pressure.caches!.budget ?? null) : null,
    features: pressure.features ? read('features', () => pressure.features!.list()) : null,
    tasks: pressure.tasks ? read('tasks', () => pressure.tasks!.list()) : null,
    database: read('database', () => readDatabase(pressure)),
    leaks: pressure.leaks ? read('leaks', () => leaksState(pressure.leaks!)) : null,
    unmanaged: pressure.caches && caches === null ? null : unmanagedBytes(trend.floor, caches, reservations),
    closed: pressure.closed,
    errors,
  }
}

function leaksState(leaks: NonNullable<ObservedController['leaks']>): LeaksState {
  const report = leaks.last?.toJSON()
  const suspect = leaks.suspect
  return {
    running: leaks.running,
    report:
      report === undefined
        ? null
        : {
            ...report,
            sites: report.sites.slice(0, LEAK_SITES_SHOWN).map((site) => ({ ...site, stack: site.stack.slice(0, 5) })),
          },
    suspect: suspect === null ? null : withoutReport(suspect),
    stats: leaks.stats(),
  }
}

function withoutReport({ report: _report, ...held }: LeakSuspect): Omit<LeakSuspect, 'report'> {
  return held
}
