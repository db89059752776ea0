// A hand-written SVG chart of one variant's run: heap used over time against the heap limit,
// the cache's payload, the guard's state as colored bands, the end of the load and any crash.

const W = 800
const H = 320
const M = { left: 58, right: 18, top: 56, bottom: 38 }

/** Band colors: heapguard's levels, and under-pressure's "refusing" state. */
export const BAND_COLORS = {
  warning: '#fde68a',
  critical: '#fdba74',
  emergency: '#fca5a5',
  'under pressure': '#fca5a5',
}

const escape = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
const fixed = (n) => Math.round(n * 10) / 10

/**
 * Renders the chart. Times are seconds from the start of the load.
 * - `series`: `{ t, heapMiB, cacheMiB }[]`
 * - `bands`: `{ from, to, state }[]` (state a key of BAND_COLORS; others are not drawn)
 * - `lines`: horizontal reference lines `{ mib, label, color, dash }`
 * - `loadEndS`, `crashS` (null when it did not crash), `durationS` (x axis length)
 */
export function chartSvg({ title, subtitle, series, bands = [], lines = [], loadEndS, crashS, durationS, limitMiB }) {
  const peak = Math.max(limitMiB, ...series.map((p) => p.heapMiB))
  const yMax = Math.ceil((peak * 1.08) / 32) * 32
  const plotW = W - M.left - M.right
  const plotH = H - M.top - M.bottom
  const x = (t) => fixed(M.left + (Math.min(Math.max(t, 0), durationS) / durationS) * plotW)
  const y = (mib) => fixed(M.top + plotH - (Math.min(mib, yMax) / yMax) * plotH)
  const out = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`,
  )
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`)
  out.push(`<text x="${M.left}" y="16" font-size="13" font-weight="600">${escape(title)}</text>`)
  if (subtitle) out.push(`<text x="${M.left}" y="31" fill="#444">${escape(subtitle)}</text>`)

  // Bands first, so lines draw over them.
  for (const band of bands) {
    const color = BAND_COLORS[band.state]
    if (color === undefined || band.to <= band.from) continue
    out.push(
      `<rect x="${x(band.from)}" y="${M.top}" width="${fixed(x(band.to) - x(band.from))}" height="${plotH}" fill="${color}" opacity="0.75"/>`,
    )
  }

  // Axes and grid.
  for (let mib = 0; mib <= yMax; mib += 32) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(mib)}" y2="${y(mib)}" stroke="#e5e7eb"/>`)
    out.push(`<text x="${M.left - 6}" y="${y(mib) + 4}" text-anchor="end" fill="#444">${mib}</text>`)
  }
  const step = durationS > 120 ? 20 : 10
  for (let t = 0; t <= durationS; t += step) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${M.top + plotH}" y2="${M.top + plotH + 4}" stroke="#444"/>`)
    out.push(`<text x="${x(t)}" y="${M.top + plotH + 16}" text-anchor="middle" fill="#444">${t}</text>`)
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#444"/>`)
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#444"/>`)
  out.push(
    `<text x="${M.left + plotW / 2}" y="${H - 4}" text-anchor="middle" fill="#444">seconds since the load started</text>`,
  )
  out.push(
    `<text transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#444">MiB</text>`,
  )

  // Reference lines: the heap limit and any guard threshold.
  // The limit is labelled above its line at the right, guard thresholds below theirs at the left.
  out.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${y(limitMiB)}" y2="${y(limitMiB)}" stroke="#dc2626" stroke-dasharray="6 4"/>`,
  )
  out.push(
    `<text x="${W - M.right - 4}" y="${y(limitMiB) - 4}" text-anchor="end" fill="#dc2626">heap limit ${limitMiB} MiB</text>`,
  )
  for (const line of lines) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(line.mib)}" y2="${y(line.mib)}" stroke="${line.color}" stroke-dasharray="${line.dash}"/>`,
    )
    out.push(`<text x="${M.left + 4}" y="${y(line.mib) + 13}" fill="${line.color}">${escape(line.label)}</text>`)
  }

  // The end of the load, and the crash.
  out.push(
    `<line x1="${x(loadEndS)}" x2="${x(loadEndS)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#6b7280" stroke-dasharray="2 3"/>`,
  )
  out.push(`<text x="${x(loadEndS) + 4}" y="${M.top + 12}" fill="#6b7280">load stops</text>`)
  if (crashS !== null) {
    out.push(
      `<line x1="${x(crashS)}" x2="${x(crashS)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#dc2626" stroke-width="2"/>`,
    )
    out.push(
      `<text x="${x(crashS) + 4}" y="${M.top + 26}" fill="#dc2626" font-weight="600">out of memory at ${crashS.toFixed(1)} s</text>`,
    )
  }

  const polyline = (key, color, extra) =>
    `<polyline fill="none" stroke="${color}" ${extra} points="${series.map((p) => `${x(p.t)},${y(p[key])}`).join(' ')}"/>`
  out.push(polyline('cacheMiB', '#6b7280', 'stroke-width="1.2" stroke-dasharray="4 3"'))
  out.push(polyline('heapMiB', '#1d4ed8', 'stroke-width="1.6"'))

  // Legend: one row under the subtitle.
  const legend = [
    ['line', '#1d4ed8', 'heap used'],
    ['dash', '#6b7280', 'cache payload (entries × 10 KiB)'],
    ...[...new Set(bands.map((b) => b.state))].filter((s) => BAND_COLORS[s]).map((s) => ['box', BAND_COLORS[s], s]),
  ]
  let lx = M.left
  for (const [kind, color, label] of legend) {
    const symbol =
      kind === 'box'
        ? `<rect x="${fixed(lx)}" y="38" width="14" height="9" fill="${color}"/>`
        : `<line x1="${fixed(lx)}" x2="${fixed(lx + 14)}" y1="43" y2="43" stroke="${color}" stroke-width="2"${kind === 'dash' ? ' stroke-dasharray="4 3"' : ''}/>`
    out.push(`${symbol}<text x="${fixed(lx + 18)}" y="47">${escape(label)}</text>`)
    lx += label.length * 5.8 + 32
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
