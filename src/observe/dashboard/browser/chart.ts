// The pressure ratio over the last minutes as SVG: level bands, threshold lines, the exit line of
// the current level, the ratio line and a strip of the effective level under it.
import { LEVELS, THRESHOLD_LEVELS, type Level } from '../../../pressure/levels.js'
import { INK, LEVEL_COLORS } from '../palette.js'
import type { ChartPoint, DashboardState } from '../state.js'
import { clear, svg } from './dom.js'

/** The chart keeps this much time, and at most this many points. */
const KEEP_MS = 5 * 60 * 1000
const MAX_POINTS = 6000
/** The SVG's viewBox is 960 × 300: plot area, level strip and axis labels. */
const H = 300
const X0 = 44
const X1 = 860
const Y0 = 10
const Y1 = 246
const STRIP_TOP = 254
const STRIP_BOTTOM = 266
const MIN_SPAN_MS = 30_000
/** Time axis steps (s): the first giving at most six labels. */
const STEPS = [5, 10, 15, 30, 60, 120, 300, 600]

/** Appends the points that are not older than the newest held, then drops what is too old. */
export function addPoints(points: ChartPoint[], incoming: readonly ChartPoint[]): void {
  let last = points.length > 0 ? points[points.length - 1]![0] : -Infinity
  for (const point of incoming) {
    if (point[0] < last) continue
    points.push(point)
    last = point[0]
  }
  const newest = points.length > 0 ? points[points.length - 1]![0] : 0
  let cut = 0
  while (cut < points.length && newest - points[cut]![0] > KEEP_MS) cut++
  if (points.length - cut > MAX_POINTS) cut = points.length - MAX_POINTS
  if (cut > 0) points.splice(0, cut)
}

const percent = (ratio: number): string => `${Math.round(ratio * 100)}%`

export function renderChart(chart: Element, state: DashboardState, points: readonly ChartPoint[]): void {
  clear(chart)
  const t = state.thresholds
  const first = points[0]
  const last = points[points.length - 1]
  const newest = Math.max(state.at, last?.[0] ?? 0)
  const oldest = first?.[0] ?? newest
  const span = Math.max(newest - oldest, MIN_SPAN_MS)
  const start = newest - span
  let top = 1
  for (const p of points) if (p[1] > top) top = Math.min(p[1], 2)
  const x = (at: number): number => X0 + ((at - start) / span) * (X1 - X0)
  const y = (ratio: number): number => Y1 - (Math.min(ratio, top) / top) * (Y1 - Y0)
  const add = (node: SVGElement): void => void chart.appendChild(node)

  const bounds = [0, t.warning, t.critical, t.emergency, top]
  LEVELS.forEach((level, i) => {
    const hi = y(bounds[i + 1]!)
    const lo = y(bounds[i]!)
    const height = Math.max(0, lo - hi)
    const band = { class: 'band', 'data-level': level, x: X0, y: hi, width: X1 - X0, height }
    add(svg('rect', { ...band, fill: LEVEL_COLORS[level], 'fill-opacity': 0.08 }))
  })
  for (const r of [0, 0.25, 0.5, 0.75, 1]) {
    if (r <= top) add(svg('text', { x: X0 - 6, y: y(r) + 4, 'text-anchor': 'end' }, percent(r)))
  }
  for (const level of THRESHOLD_LEVELS) {
    const at = y(t[level])
    const color = LEVEL_COLORS[level]
    const line = { class: 'threshold', 'data-level': level, x1: X0, x2: X1, y1: at, y2: at }
    add(svg('line', { ...line, stroke: color, 'stroke-dasharray': '5 4', 'stroke-width': 1.2 }))
    add(svg('text', { x: X1 + 6, y: at + 4, fill: color }, `${level} ${percent(t[level])}`))
  }
  // The exit line: the ratio must stay below it for recoveryMs before the level steps down.
  const above = THRESHOLD_LEVELS.find((level) => level === state.level)
  if (above !== undefined && state.forced === null) {
    const exit = t[above] - state.hysteresis
    const at = y(exit)
    const color = LEVEL_COLORS[above]
    const line = { class: 'exit', x1: X0, x2: X1, y1: at, y2: at }
    add(svg('line', { ...line, stroke: color, 'stroke-dasharray': '1 3', 'stroke-width': 1 }))
    add(svg('text', { x: X1 + 6, y: at + 4, fill: color }, `exit ${percent(exit)}`))
  }
  add(svg('rect', { x: X0, y: Y0, width: X1 - X0, height: Y1 - Y0, fill: 'none', stroke: '#d0d5dd' }))
  if (last === undefined) {
    add(svg('text', { x: (X0 + X1) / 2, y: (Y0 + Y1) / 2, 'text-anchor': 'middle' }, 'waiting for samples\u2026'))
  } else {
    const d = linePath(points, x, y)
    add(
      svg('path', { id: 'ratio-line', d, fill: 'none', stroke: INK, 'stroke-width': 1.6, 'stroke-linejoin': 'round' }),
    )
    add(svg('circle', { cx: x(last[0]), cy: y(last[1]), r: 4, fill: LEVEL_COLORS[state.level] }))
    for (const segment of levelStrip(points, state.level, x)) add(segment)
  }
  add(svg('text', { x: X0 - 6, y: STRIP_BOTTOM - 2, 'text-anchor': 'end' }, 'level'))
  const step = STEPS.find((s) => span / 1000 / s <= 6) ?? 600
  for (let s = 0; s * 1000 <= span; s += step) {
    const label = s === 0 ? 'now' : `\u2212${s} s`
    add(svg('text', { x: x(newest - s * 1000), y: H - 12, 'text-anchor': s === 0 ? 'end' : 'middle' }, label))
  }
}

/** More points than pixels: each pixel column keeps its highest ratio, so peaks are never hidden. */
function linePath(points: readonly ChartPoint[], x: (at: number) => number, y: (ratio: number) => number): string {
  const columns = new Map<number, ChartPoint>()
  for (const p of points) {
    const column = Math.round(x(p[0]))
    const held = columns.get(column)
    if (held === undefined || p[1] > held[1]) columns.set(column, p)
  }
  let d = ''
  for (const [column, p] of columns) d += `${d === '' ? 'M' : 'L'}${column} ${y(p[1]).toFixed(1)}`
  return d
}

/** The effective level over time, as a strip under the plot (a forced level shows here). */
function levelStrip(points: readonly ChartPoint[], current: Level, x: (at: number) => number): SVGRectElement[] {
  const segments: SVGRectElement[] = []
  let from = 0
  for (let i = 1; i <= points.length; i++) {
    if (i < points.length && points[i]![2] === points[from]![2]) continue
    const x0 = x(points[from]![0])
    const x1 = i < points.length ? x(points[i]![0]) : X1
    // The last segment shows the level now, which the newest point may not have reached yet.
    const level = i === points.length ? current : (LEVELS[points[from]![2]] ?? current)
    const height = STRIP_BOTTOM - STRIP_TOP
    const rect = { class: 'seg', 'data-level': level, x: x0, y: STRIP_TOP, width: Math.max(1, x1 - x0), height }
    segments.push(svg('rect', { ...rect, fill: LEVEL_COLORS[level] }))
    from = i
  }
  return segments
}
