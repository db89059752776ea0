// The "What grows" card: the newest leak report, a leak still held, and the capture button.
import type { DashboardState } from '../state.js'
import { byId, cell, clear, definition, el, fillBody, row } from './dom.js'
import { bytes, clock, DASH, duration, pct } from './format.js'

const rate = (n: number): string => `${n >= 0 ? '+' : ''}${bytes(n)}/s`

/** Wires the button and the links once: they carry the token, as the event stream does. */
export function setUpLeaks(token: string): void {
  const auth = `token=${encodeURIComponent(token)}`
  byId('leaks-text').setAttribute('href', `?leaks=report&${auth}`)
  byId('leaks-download').setAttribute('href', `?leaks=heapprofile&${auth}`)
  const button = byId('leaks-capture') as HTMLButtonElement
  button.addEventListener('click', () => {
    button.disabled = true
    byId('leaks-note').textContent = 'starting a window…'
    fetch('?leaks=capture', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })
      .then(async (response) => {
        if (!response.ok) {
          const body = (await response.json().catch(() => ({}))) as { error?: string }
          byId('leaks-note').textContent = `could not start: ${body.error ?? response.status}`
          button.disabled = false
        }
      })
      .catch(() => {
        byId('leaks-note').textContent = 'could not reach the server'
        button.disabled = false
      })
  })
}

export function renderLeaks(state: DashboardState): void {
  const card = byId('leaks')
  const leaks = state.leaks
  card.hidden = leaks === null
  if (leaks === null) return
  const report = leaks.report
  const button = byId('leaks-capture') as HTMLButtonElement
  button.disabled = leaks.running || state.closed
  const status = byId('leaks-status')
  status.textContent = leaks.running
    ? 'a window is open'
    : report === null
      ? 'no window yet'
      : `newest window ${clock(report.at)}, ${duration(report.durationMs)} (${report.trigger})`
  const note = byId('leaks-note')
  if (leaks.stats.lastError !== null) note.textContent = `last window failed: ${leaks.stats.lastError}`
  else if (leaks.running) note.textContent = 'the report shows here when the window ends'
  else note.textContent = ''
  for (const id of ['leaks-text', 'leaks-download']) byId(id).hidden = report === null

  const list = clear(byId('leaks-growth'))
  const suspect = leaks.suspect
  if (suspect !== null) {
    const held = el('span', `${bytes(suspect.heldBytes)} since ${clock(suspect.since)}`, { class: 'held' })
    const dd = el('dd')
    dd.append(
      held,
      ` (post-GC heap ${bytes(suspect.fromBytes)} \u2192 ${bytes(suspect.floorBytes)}${suspect.rising ? ', rising' : ', not rising now'})`,
    )
    list.append(el('dt', 'leak held'), dd)
  }
  definition(list, 'heap not in managed caches', bytes(state.unmanaged))
  if (report !== null) {
    const g = report.growth
    definition(
      list,
      'growth',
      `heap ${rate(g.heap)} \u00b7 external ${rate(g.external)} \u00b7 native ${rate(g.native)} \u00b7 caches ${rate(g.caches)}`,
    )
    definition(list, 'grows most', report.grows)
    definition(list, 'sites explain', `${pct(report.explained)} of the heap's growth`)
    for (const w of report.watched) {
      definition(
        list,
        `watched ${w.name}`,
        `${w.perSecond >= 0 ? '+' : ''}${w.perSecond.toFixed(1)}/s${w.grew ? ', grew at every checkpoint' : ''}`,
      )
    }
    for (const text of report.notes) definition(list, 'note', text)
  }
  const rows =
    report?.sites.map((site, i) =>
      row([
        cell(String(i + 1), 'num'),
        cell(rate(site.bytesPerSecond), 'num'),
        cell(pct(site.share), 'num'),
        cell(site.fn),
        cell(site.file === '' ? '(native)' : `${site.file}:${site.line}`, 'where'),
        cell(site.package ?? DASH),
        cell(bytes(site.liveBytes), 'num'),
      ]),
    ) ?? []
  fillBody('leaks-body', rows, 7, report === null ? 'no window yet' : 'no allocation site grew at every checkpoint')
}
