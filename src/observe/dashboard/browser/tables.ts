// The cards under the chart: sources, trend, caches, shedding, flags, tasks, level changes, errors.
import { LEVELS, THRESHOLD_LEVELS, type Level } from '../../../pressure/levels.js'
import { PRIORITIES } from '../../../degrade/shed/priority.js'
import { LEVEL_COLORS } from '../palette.js'
import type { DashboardState } from '../state.js'
import { bar, byId, cell, clear, definition, el, fillBody, levelSpan, row } from './dom.js'
import { bytes, clock, DASH, duration, pct } from './format.js'

/** The level a ratio alone would reach (no hysteresis): the colour of a source's gauge. */
function levelOf(ratio: number, thresholds: DashboardState['thresholds']): Level {
  for (let i = THRESHOLD_LEVELS.length - 1; i >= 0; i--) {
    const level = THRESHOLD_LEVELS[i]!
    if (ratio >= thresholds[level]) return level
  }
  return LEVELS[0]!
}

export function renderSources(state: DashboardState): void {
  const rows = Object.values(state.sources).map((s) =>
    row(
      [
        cell(s.name),
        cell(bytes(s.used), 'num'),
        cell(s.reserved === null ? DASH : bytes(s.reserved), 'num reserved'),
        cell(bytes(s.limit), 'num'),
        cell(pct(s.ratio), 'num'),
        cell(bar(s.ratio, LEVEL_COLORS[levelOf(s.ratio, state.thresholds)])),
      ],
      { 'data-source': s.name },
    ),
  )
  fillBody('sources-body', rows, 6, 'no sample yet')
}

function timeToLimit(trend: DashboardState['trend']): string {
  if (trend.msToLimit !== null) return duration(trend.msToLimit)
  return trend.growthBytesPerSec === null ? 'not enough GCs yet' : 'not rising'
}

export function renderTrend(state: DashboardState): void {
  const trend = state.trend
  const list = clear(byId('trend'))
  definition(list, 'heap after last major GC', bytes(trend.floor))
  definition(list, 'floor growth', trend.growthBytesPerSec === null ? DASH : `${bytes(trend.growthBytesPerSec)}/s`)
  definition(list, 'time to limit', timeToLimit(trend))
  definition(list, 'points', String(trend.points))
  const counts = state.transitionCounts
  // Rising levels first, then the way back down.
  const changes = [...THRESHOLD_LEVELS, LEVELS[0]!].map((level) => `${level} ${counts[level]}`)
  definition(list, 'level changes to', changes.join(' \u00b7 '))
}

export function renderCaches(state: DashboardState): void {
  const rows = state.caches?.map((c) =>
    row(
      [
        cell(c.name, 'name'),
        cell(c.priority, 'priority'),
        cell(String(c.entries), 'num entries'),
        cell(String(c.capacity), 'num capacity'),
        cell(bar(c.capacity > 0 ? c.entries / c.capacity : 1)),
        cell(bytes(c.bytes), 'num bytes'),
        cell(`\u00d7${c.multiplier}`, 'num multiplier'),
        cell(pct(c.hitRatio), 'num hit-ratio'),
        cell(String(c.evictions), 'num evictions'),
      ],
      { 'data-cache': c.name },
    ),
  )
  fillBody('caches-body', rows ?? null, 9, 'no managed cache')
  const budget = state.cacheBudget
  byId('cache-budget').textContent =
    budget === null ? '' : `budget ${bytes(budget.used)} of ${bytes(budget.limit)} \u00b7 ${budget.evictions} evicted`
}

export function renderShed(state: DashboardState): void {
  const list = clear(byId('shed'))
  const shed = state.shed
  if (shed === null) {
    list.appendChild(el('dt', 'not available'))
    return
  }
  definition(list, 'in flight', String(shed.inFlight))
  definition(list, 'queued', String(shed.queued))
  definition(list, 'admitted', String(shed.admitted))
  definition(list, 'concurrency limit', shed.limit === null ? 'none (by level only)' : String(shed.limit))
  for (const p of PRIORITIES) definition(list, `refused ${p}`, String(shed.refused[p] ?? 0))
}

export function renderReservations(state: DashboardState): void {
  const list = clear(byId('reservations'))
  const r = state.reservations
  if (r === null) {
    list.appendChild(el('dt', 'not available'))
    return
  }
  definition(list, 'held now', `${r.active} (${bytes(r.held)})`)
  definition(list, 'still counted', bytes(r.reserved))
  definition(list, 'given back by caches', `${bytes(r.claimedFromCaches)} (${bytes(r.reclaimed)} not yet collected)`)
  definition(list, 'expired (leaks)', String(r.expired))
  const refused = PRIORITIES.map((p) => `${p} ${r.refused[p] ?? 0}`).join(' \u00b7 ')
  definition(list, 'refused', refused)
}

export function renderFeatures(state: DashboardState): void {
  const rows = state.features?.map((f) =>
    row(
      [
        cell(f.name),
        cell(f.enabled ? 'on' : 'off', f.enabled ? 'on' : 'off'),
        cell(levelSpan(f.offAt)),
        cell(f.override === null ? DASH : `forced ${f.override}`),
      ],
      { 'data-feature': f.name },
    ),
  )
  fillBody('features-body', rows ?? null, 4, 'no feature flag')
}

function taskStatus(t: NonNullable<DashboardState['tasks']>[number]): string {
  if (t.stopped) return 'stopped'
  if (t.paused) return 'paused'
  return t.running ? 'running' : 'scheduled'
}

export function renderTasks(state: DashboardState): void {
  const rows = state.tasks?.map((t) =>
    row(
      [
        cell(t.name),
        cell(taskStatus(t), t.paused || t.stopped ? 'off' : 'on'),
        cell(duration(t.intervalMs), 'num'),
        cell(levelSpan(t.pauseAt)),
        cell(String(t.runs), 'num'),
        cell(String(t.failures), 'num'),
        cell(t.lastRunAt === null ? DASH : clock(t.lastRunAt)),
      ],
      { 'data-task': t.name },
    ),
  )
  fillBody('tasks-body', rows ?? null, 7, 'no task')
}

export function renderTransitions(state: DashboardState): void {
  const rows = state.transitions
    .slice()
    .reverse()
    .map((c) => {
      const change = el('span')
      change.append(levelSpan(c.from), ' \u2192 ', levelSpan(c.to))
      // `reason` is absent on a controller that predates it (another copy of heapguard).
      const why = c.reason ?? (c.forced ? 'forced' : '')
      return row([cell(clock(c.at)), cell(change), cell(pct(c.ratio), 'num'), cell(why, 'why')])
    })
  fillBody('transitions-body', rows, 4, 'no level change yet')
}

export function renderErrors(state: DashboardState): void {
  const box = clear(byId('errors'))
  box.hidden = state.errors.length === 0
  for (const message of state.errors) box.appendChild(el('div', message))
}
