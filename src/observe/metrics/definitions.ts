import { LEVELS, levelRank } from '../../pressure/levels.js'
import { MODES } from '../../pressure/delivery/level-bus.js'
import { DB_METRICS } from './db-metrics.js'
import { unmanagedBytes } from '../unmanaged.js'
import {
  budgetValue,
  emitKnown,
  NO_LABELS,
  perCache,
  perPriority,
  perTask,
  reservationValue,
  shedValue,
  unlabelled,
  type MetricDef,
} from './metric-def.js'

export { checkPrefix, type Emit, type Labels, type MetricDef } from './metric-def.js'

/** The causes of a level change emitted at 0 before they happen (custom floor signals appear when they do). */
const TRANSITION_CAUSES: readonly string[] = [
  'ratio',
  'recovery',
  'forced',
  'released',
  'expired',
  'gc',
  'memory.events',
  'psi',
]

// The one table of heapguard's metrics: names, help, types, labels and how each is read from a
// controller (the helpers that build its rows are in metric-def.ts). The Prometheus exporter
// (prometheus.ts), the OpenTelemetry one (otel.ts) and the text endpoint (text.ts) all publish
// exactly this table, so they can never disagree; the shipped alert rules and the Grafana
// dashboard (observability/) are checked against it by the tests.

const GROWTH_KINDS = ['heap', 'external', 'native', 'caches'] as const
const LEAK_TRIGGERS = ['capture', 'rising', 'warning'] as const

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
    help: 'Changes of the effective pressure level, by the level changed to and why (ratio, recovery, forced, released, expired, or the floor signal: gc, memory.events, psi).',
    type: 'counter',
    labelNames: ['to', 'cause'],
    read: (p, emit) => {
      const byCause = p.transitionCountsByCause()
      if (byCause === undefined) {
        // A controller without causes (another copy of heapguard, older): the level alone.
        const counts = p.transitionCounts()
        for (const to of LEVELS) emit({ to, cause: 'unknown' }, counts[to] ?? 0)
        return
      }
      // Every known cause at 0 from the start: a counter that appears at its first increment is
      // missed by increase() and rate().
      for (const to of LEVELS) {
        const counts = byCause[to]
        for (const cause of TRANSITION_CAUSES) emit({ to, cause }, counts[cause] ?? 0)
        for (const cause in counts) if (!TRANSITION_CAUSES.includes(cause)) emit({ to, cause }, counts[cause]!)
      }
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
    help: 'Projected time from now until the post-GC heap floor reaches the limit at its current growth, in seconds: +Inf while no growth is projected (flat, falling or unknown); absent before the first major GC.',
    type: 'gauge',
    labelNames: [],
    // Present from the first floor on, +Inf when there is no projection: the projection comes and
    // goes with every allocation step (the heap's own growth since the last GC caps the trend, and
    // a flat heap between steps reads as no growth), and a series that vanishes between scrapes
    // breaks `for:` clocks, graphs and absent(). +Inf is the time to the limit at zero growth.
    read: (p, emit) => {
      const { floor, msToLimit } = p.trend()
      if (floor !== null) emit(NO_LABELS, msToLimit === null ? Infinity : msToLimit / 1000)
    },
  },
  // ---- what grows (docs/leaks.md) ----
  {
    name: 'memory_unmanaged_bytes',
    help: 'The heap after the last major GC less the managed caches and what live reservations hold, in bytes: heap not in managed caches (absent before the first major GC).',
    type: 'gauge',
    labelNames: [],
    unit: 'By',
    read: (p, emit) => emitKnown(emit, unmanagedBytes(p.trend().floor, p.caches(), p.reservations())),
  },
  {
    name: 'memory_growth_bytes_per_second',
    help: 'Growth per kind of memory over the newest leak window (heap, external, native, caches), in bytes per second (absent before the first window).',
    type: 'gauge',
    labelNames: ['memory'],
    unit: 'By/s',
    read: (p, emit) => {
      const growth = p.leakReport()?.growth
      if (growth !== undefined) for (const memory of GROWTH_KINDS) emit({ memory }, growth[memory])
    },
  },
  {
    name: 'memory_leak_reports_total',
    help: "Leak windows that ended with a report, by what opened them: 'capture', or automatically 'rising' and 'warning'.",
    type: 'counter',
    labelNames: ['trigger'],
    read: (p, emit) => {
      const reports = p.leakStats()?.reports
      if (reports !== undefined) for (const trigger of LEAK_TRIGGERS) emit({ trigger }, reports[trigger] ?? 0)
    },
  },
  {
    ...unlabelled(
      'memory_leak_held_bytes',
      'Bytes the post-GC heap holds above where it was when a leak window found growth outside the managed caches; it stays while they are held, even once the growth stops (absent when none is held).',
      'gauge',
      (p) => p.leakSuspect()?.heldBytes,
    ),
    unit: 'By',
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
  perPriority(
    'requests_shed_total',
    'Requests refused by load shedding, by request priority.',
    (p) => p.shed()?.refused,
  ),
  shedValue('requests_admitted_total', 'Requests admitted by load shedding.', 'counter', (s) => s.admitted),
  shedValue('requests_in_flight', 'Admitted requests not yet finished.', 'gauge', (s) => s.inFlight),
  shedValue('requests_queued', 'Requests waiting for a concurrency slot.', 'gauge', (s) => s.queued),
  shedValue(
    'requests_concurrency_limit',
    'The concurrency limit now (absent when admission is by level only).',
    'gauge',
    (s) => s.limit,
  ),
  // ---- reservations: memory_reserved_bytes, reservations_refused_total ----
  reservationValue(
    'memory_reserved_bytes',
    'Bytes live reservations add to their sources now: announced by work, not yet allocated.',
    'gauge',
    (r) => r.reserved,
  ),
  perPriority(
    'reservations_refused_total',
    'Reservations refused because they did not fit below their line, by priority (also in requests_shed_total).',
    (p) => p.reservations()?.refused,
  ),
  perPriority('reservations_granted_total', 'Reservations granted, by priority.', (p) => p.reservations()?.granted),
  reservationValue('reservations_active', 'Reservations held now.', 'gauge', (r) => r.active),
  perPriority(
    'reservations_underestimated_total',
    'Released reservations whose source grew at least twice their bytes while held (other reservations taken off), by priority.',
    (p) => p.reservations()?.underestimated,
  ),
  reservationValue(
    'reservations_expired_total',
    'Reservations the leak guard expired: held past reservations.maxHoldMs without release().',
    'counter',
    (r) => r.expired,
  ),
  reservationValue(
    'cache_reclaimed_bytes_total',
    'Bytes evicted from managed caches to make room for reservations.',
    'counter',
    (r) => r.claimedFromCaches,
  ),
  // ---- the cache budget ----
  budgetValue(
    'cache_budget_bytes',
    'The byte budget of all managed caches together (absent without one).',
    (b) => b.limit,
  ),
  budgetValue(
    'cache_budget_used_bytes',
    'Bytes all budgeted caches hold now (absent without a budget).',
    (b) => b.used,
  ),
  unlabelled(
    'cache_budget_evictions_total',
    'Entries evicted to keep the caches together within their byte budget (absent without one).',
    'counter',
    (p) => p.cacheBudget()?.evictions,
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
  // ---- databases: heapguard/prisma and heapguard/pg ----
  ...DB_METRICS,
]
