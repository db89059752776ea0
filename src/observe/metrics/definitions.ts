import { describe } from '../../util/validate.js'
import { LEVELS, levelRank } from '../../pressure/levels.js'
import { MODES } from '../../pressure/rollout.js'
import type { CacheStats } from '../../caches/types.js'
import { PRIORITIES } from '../../degrade/shed/priority.js'
import type { TaskInfo } from '../../degrade/task.js'
import type { ObservedShedStats } from '../observed.js'
import type { ScrapeSnapshot } from './scrape-snapshot.js'

// The one table of heapguard's metrics: names, help, types, labels and how each is read from a
// controller. The Prometheus exporter (prometheus.ts) and the OpenTelemetry one (otel.ts) both
// publish exactly this table, so the two can never disagree; the shipped alert rules and the
// Grafana dashboard (observability/) are checked against it by the tests.

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

const NO_LABELS: Labels = {}

/** Emits `value` without labels unless it is null (the series is then absent, never a fake 0). */
function emitKnown(emit: Emit, value: number | null | undefined): void {
  if (value !== null && value !== undefined && Number.isFinite(value)) emit(NO_LABELS, value)
}

type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T]

/** One series per managed cache, from one field of its stats. */
function perCache(name: string, help: string, type: MetricDef['type'], field: NumericKeys<CacheStats>): MetricDef {
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

/** One unlabelled series from the shedder's stats (absent without a shedder, or when null). */
function shedValue(
  name: string,
  help: string,
  type: MetricDef['type'],
  pick: (s: ObservedShedStats) => number | null,
): MetricDef {
  return {
    name,
    help,
    type,
    labelNames: [],
    read: (p, emit) => {
      const stats = p.shed()
      emitKnown(emit, stats === undefined ? null : pick(stats))
    },
  }
}

/** One series per task still scheduled. */
function perTask(name: string, help: string, type: MetricDef['type'], pick: (t: TaskInfo) => number): MetricDef {
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

/**
 * Every metric, read from the controller when Prometheus scrapes (each piece of state once per
 * scrape, through one shared snapshot): sampling pays nothing for metrics, and label values are
 * only names the application chose (sources, caches, flags, tasks) or fixed words (levels,
 * request priorities), so series stay bounded.
 */
export const METRICS: readonly MetricDef[] = [
  // ---- the pressure signal (docs/observation.md) ----
  {
    name: 'memory_usage_bytes',
    help: 'Memory used per source at the last sample, in bytes.',
    type: 'gauge',
    labelNames: ['source'],
    unit: 'By',
    read: (p, emit) => {
      for (const [source, r] of Object.entries(p.lastSample?.sources ?? {})) emit({ source }, r.used)
    },
  },
  {
    name: 'memory_limit_bytes',
    help: 'Memory limit per source at the last sample, in bytes.',
    type: 'gauge',
    labelNames: ['source'],
    unit: 'By',
    read: (p, emit) => {
      for (const [source, r] of Object.entries(p.lastSample?.sources ?? {})) emit({ source }, r.limit)
    },
  },
  {
    name: 'memory_pressure_ratio',
    help: 'The pressure ratio: the highest used/limit ratio over the sources (0..1).',
    type: 'gauge',
    labelNames: [],
    unit: '1',
    read: (p, emit) => emit(NO_LABELS, p.ratio),
  },
  {
    name: 'memory_pressure_level',
    help: 'The effective pressure level: 0 normal, 1 warning, 2 critical, 3 emergency.',
    type: 'gauge',
    labelNames: [],
    read: (p, emit) => emit(NO_LABELS, levelRank(p.level)),
  },
  {
    name: 'memory_pressure_transitions_total',
    help: 'Changes of the effective pressure level, by the level changed to.',
    type: 'counter',
    labelNames: ['to'],
    read: (p, emit) => {
      const counts = p.transitionCounts()
      for (const to of LEVELS) emit({ to }, counts[to] ?? 0)
    },
  },
  // ---- more of the pressure state ----
  {
    name: 'memory_pressure_measured_level',
    help: 'The level the sources alone give (0..3), whatever level is forced.',
    type: 'gauge',
    labelNames: [],
    read: (p, emit) => emit(NO_LABELS, levelRank(p.measuredLevel)),
  },
  {
    name: 'memory_pressure_applied_level',
    help: 'The level the subsystems apply (0..3): the effective level in enforce mode, 0 (normal) in observe mode.',
    type: 'gauge',
    labelNames: [],
    read: (p, emit) => {
      const applied = p.appliedLevel
      if (applied !== undefined) emit(NO_LABELS, levelRank(applied))
    },
  },
  {
    name: 'memory_pressure_mode',
    help: "The rollout mode: 1 for the mode in force ('enforce' or 'observe'), 0 for the other.",
    type: 'gauge',
    labelNames: ['mode'],
    read: (p, emit) => {
      const mode = p.mode
      if (mode !== undefined) for (const m of MODES) emit({ mode: m }, m === mode ? 1 : 0)
    },
  },
  {
    name: 'memory_pressure_forced_level',
    help: 'The level an operator forced with force() (0..3), or -1 when none is held.',
    type: 'gauge',
    labelNames: [],
    read: (p, emit) => emit(NO_LABELS, p.forced === null ? -1 : levelRank(p.forced)),
  },
  {
    name: 'memory_pressure_threshold',
    help: 'The pressure ratio at which each level begins.',
    type: 'gauge',
    labelNames: ['level'],
    read: (p, emit) => {
      for (const [level, ratio] of Object.entries(p.thresholds)) emit({ level }, ratio)
    },
  },
  {
    name: 'memory_heap_floor_bytes',
    help: 'Heap used right after the last major GC, in bytes (absent before the first one).',
    type: 'gauge',
    labelNames: [],
    unit: 'By',
    read: (p, emit) => emitKnown(emit, p.trend().floor),
  },
  {
    name: 'memory_heap_floor_growth_bytes_per_second',
    help: 'Growth of the post-GC heap floor over the last 10 minutes, capped by the heap growth since the last major GC, in bytes per second (absent when unknown).',
    type: 'gauge',
    labelNames: [],
    unit: 'By/s',
    read: (p, emit) => emitKnown(emit, p.trend().growthBytesPerSec),
  },
  {
    name: 'memory_seconds_to_limit',
    help: 'Projected time from now until the post-GC heap floor reaches the limit at its current growth, in seconds (absent when flat, falling or unknown).',
    type: 'gauge',
    labelNames: [],
    read: (p, emit) => {
      const ms = p.trend().msToLimit
      emitKnown(emit, ms === null ? null : ms / 1000)
    },
  },
  // ---- caches : size, entries, hit ratio, evictions ----
  { ...perCache('cache_size_bytes', 'Bytes held per managed cache.', 'gauge', 'bytes'), unit: 'By' },
  perCache('cache_entries', 'Entries held per managed cache.', 'gauge', 'entries'),
  {
    ...perCache(
      'cache_hit_ratio',
      'Hits / (hits + misses) per managed cache since it was created (0..1).',
      'gauge',
      'hitRatio',
    ),
    unit: '1',
  },
  perCache(
    'cache_evictions_total',
    'Entries evicted per managed cache (capacity, pressure trims and byte budget).',
    'counter',
    'evictions',
  ),
  perCache(
    'cache_capacity',
    'Entries each managed cache may hold now (its max times the multiplier of the level).',
    'gauge',
    'capacity',
  ),
  perCache(
    'cache_size_multiplier',
    'The size multiplier the current level gives each managed cache (0 disables it).',
    'gauge',
    'multiplier',
  ),
  perCache('cache_hits_total', 'Lookups that found their entry, per managed cache.', 'counter', 'hits'),
  {
    name: 'cache_regrowing',
    help: 'Whether the managed caches are growing back to full capacity after pressure (1) or not (0).',
    type: 'gauge',
    labelNames: [],
    read: (p, emit) => emitKnown(emit, p.cachesRegrowing === undefined ? null : p.cachesRegrowing ? 1 : 0),
  },
  perCache('cache_misses_total', 'Lookups that found nothing, per managed cache.', 'counter', 'misses'),
  // ---- load shedding : requests_shed_total ----
  {
    name: 'requests_shed_total',
    help: 'Requests refused by load shedding, by request priority.',
    type: 'counter',
    labelNames: ['priority'],
    read: (p, emit) => {
      const stats = p.shed()
      if (stats === undefined) return
      const { refused } = stats
      for (const priority of PRIORITIES) emit({ priority }, refused[priority] ?? 0)
    },
  },
  shedValue('requests_admitted_total', 'Requests admitted by load shedding.', 'counter', (s) => s.admitted),
  shedValue('requests_in_flight', 'Admitted requests not yet finished.', 'gauge', (s) => s.inFlight),
  shedValue('requests_queued', 'Requests waiting for a concurrency slot.', 'gauge', (s) => s.queued),
  shedValue(
    'requests_concurrency_limit',
    'The concurrency limit now (absent when admission is by level only).',
    'gauge',
    (s) => s.limit,
  ),
  // ---- flags and tasks ----
  {
    name: 'feature_enabled',
    help: 'Whether each feature flag is on (1) or switched off by pressure or an override (0).',
    type: 'gauge',
    labelNames: ['feature'],
    read: (p, emit) => {
      for (const f of p.features()) emit({ feature: f.name }, f.enabled ? 1 : 0)
    },
  },
  perTask('task_paused', 'Whether each background task is paused by pressure (1) or runs (0).', 'gauge', (t) =>
    t.paused ? 1 : 0,
  ),
  perTask('task_runs_total', 'Runs of each background task.', 'counter', (t) => t.runs),
  perTask('task_failures_total', 'Runs of each background task that threw or rejected.', 'counter', (t) => t.failures),
]
