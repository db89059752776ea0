import type { CacheBudgetStats } from '../../caches/pool.js'
import type { CacheStats } from '../../caches/types.js'
import { PRIORITIES, type Priority } from '../../degrade/shed/priority.js'
import type { TaskInfo } from '../../degrade/task.js'
import type { ObservedReservationStats, ObservedShedStats } from '../observed.js'
import { describe } from '../../util/validate.js'
import type { ScrapeSnapshot } from './scrape-snapshot.js'

/** What a Prometheus metric name may start with (a prefix must be a valid start). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

/** Checks a metric-name prefix: a string that can start a Prometheus metric name (or ''). */
export function checkPrefix(where: string, prefix: unknown): string {
  if (typeof prefix !== 'string')
    throw new TypeError(`${where}: option \`prefix\` must be a string, got ${describe(prefix)}`)
  if (prefix !== '' && !METRIC_NAME.test(prefix)) {
    throw new RangeError(
      `${where}: option \`prefix\` must start a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${describe(prefix)}`,
    )
  }
  return prefix
}

export type Labels = Record<string, string>
/** Hands one value (with its labels) to the metric being collected. */
export type Emit = (labels: Labels, value: number) => void

/** One metric family: its name, help, type and labels, and how a scrape reads it. */
export interface MetricDef {
  name: string
  help: string
  type: 'gauge' | 'counter'
  labelNames: readonly string[]
  /** The OpenTelemetry unit (UCUM), given only where the name already carries it, so exporters keep the name. */
  unit?: string
  /** Reads the scrape's snapshot of the controller; values not emitted are absent from the scrape. */
  read(state: ScrapeSnapshot, emit: Emit): void
}

export const NO_LABELS: Labels = {}

/** Emits `value` without labels unless it is null (the series is then absent, never a fake 0). */
export function emitKnown(emit: Emit, value: number | null | undefined): void {
  if (value !== null && value !== undefined && Number.isFinite(value)) emit(NO_LABELS, value)
}

type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T]

/** One series per managed cache, from one field of its stats. */
export function perCache(
  name: string,
  help: string,
  type: MetricDef['type'],
  field: NumericKeys<CacheStats>,
): MetricDef {
  return {
    name,
    help,
    type,
    labelNames: ['cache'],
    read: (p, emit) => {
      for (const s of p.caches()) emit({ cache: s.name }, s[field])
    },
  }
}

/** One unlabelled series; a value of null or undefined (or not finite) leaves it absent. */
export function unlabelled(
  name: string,
  help: string,
  type: MetricDef['type'],
  value: (state: ScrapeSnapshot) => number | null | undefined,
): MetricDef {
  return { name, help, type, labelNames: [], read: (p, emit) => emitKnown(emit, value(p)) }
}

/** `pick` of a subsystem's stats, or null when the controller has no such subsystem. */
function picked<S>(stats: S | null | undefined, pick: (s: S) => number | null): number | null {
  return stats === undefined || stats === null ? null : pick(stats)
}

/** One unlabelled series from the shedder's stats (absent without a shedder, or when null). */
export function shedValue(
  name: string,
  help: string,
  type: MetricDef['type'],
  pick: (s: ObservedShedStats) => number | null,
): MetricDef {
  return unlabelled(name, help, type, (p) => picked(p.shed(), pick))
}

/** One unlabelled series from the reservation ledger's stats (absent on a controller without one). */
export function reservationValue(
  name: string,
  help: string,
  type: MetricDef['type'],
  pick: (s: ObservedReservationStats) => number,
): MetricDef {
  return unlabelled(name, help, type, (p) => picked(p.reservations(), pick))
}

/** One gauge from the cache budget (absent without one). */
export function budgetValue(name: string, help: string, pick: (b: CacheBudgetStats) => number): MetricDef {
  return unlabelled(name, help, 'gauge', (p) => picked(p.cacheBudget(), pick))
}

/** One counter per request priority, from counts that may be absent (no such subsystem). */
export function perPriority(
  name: string,
  help: string,
  counts: (state: ScrapeSnapshot) => Readonly<Record<Priority, number>> | undefined,
): MetricDef {
  return {
    name,
    help,
    type: 'counter',
    labelNames: ['priority'],
    read: (p, emit) => {
      const byPriority = counts(p)
      if (byPriority !== undefined) for (const priority of PRIORITIES) emit({ priority }, byPriority[priority] ?? 0)
    },
  }
}

/** One series per task still scheduled. */
export function perTask(name: string, help: string, type: MetricDef['type'], pick: (t: TaskInfo) => number): MetricDef {
  return {
    name,
    help,
    type,
    labelNames: ['task'],
    read: (p, emit) => {
      for (const t of p.tasks()) if (!t.stopped) emit({ task: t.name }, pick(t))
    },
  }
}
