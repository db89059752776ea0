// The dashboard page's script, bundled into one IIFE and inlined by the server (see page.ts).
// It opens the event stream, keeps the chart points and renders the whole state on every message.
import { LEVEL_COLORS } from '../palette.js'
import type { ChartPoint, DashboardState } from '../state.js'
import type { DashboardMessage } from '../stream.js'
import { addPoints, renderChart } from './chart.js'
import { renderDatabase } from './database.js'
import { byId } from './dom.js'
import { pct } from './format.js'
import {
  renderCaches,
  renderErrors,
  renderFeatures,
  renderReservations,
  renderShed,
  renderSources,
  renderTasks,
  renderTransitions,
  renderTrend,
} from './tables.js'
import { renderLeaks, setUpLeaks } from './leaks.js'

type Connection = 'live' | 'reconnecting' | 'closed'

const body = document.body
// EventSource cannot send headers: the server put the token (which this page was opened with) here.
const token = body.getAttribute('data-token') ?? ''
const title = body.getAttribute('data-title') ?? ''
const points: ChartPoint[] = []

function renderHeader(state: DashboardState): void {
  const badge = byId('level')
  badge.textContent = state.level
  badge.setAttribute('data-level', state.level)
  body.setAttribute('data-level', state.level)
  byId('ratio').textContent = pct(state.ratio)
  const forced = byId('forced')
  forced.hidden = state.forced === null
  forced.textContent = state.forced === null ? '' : `forced by operator (measured: ${state.measuredLevel})`
  byId('mode').hidden = state.mode !== 'observe'
  // Why: the last change's reason, and the floors that hold the level (each with its figures).
  const floors = state.floors.map(
    (f) => `${f.from === f.signal ? f.signal : `${f.from} ${f.signal}`} holds ${f.level}: ${f.reason}`,
  )
  byId('why').textContent = [state.why ?? '', ...floors].filter((line) => line !== '').join(' \u00b7 ')
  document.title = `${state.level} \u00b7 ${title}`
  // The tab's icon carries the level, so a background tab still shows it.
  const icon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="${LEVEL_COLORS[state.level]}"/></svg>`
  byId('favicon').setAttribute('href', `data:image/svg+xml,${encodeURIComponent(icon)}`)
}

function render(state: DashboardState): void {
  renderHeader(state)
  renderChart(byId('chart'), state, points)
  renderSources(state)
  renderTrend(state)
  renderLeaks(state)
  renderCaches(state)
  renderShed(state)
  renderReservations(state)
  renderFeatures(state)
  renderTasks(state)
  renderTransitions(state)
  renderDatabase(state)
  renderErrors(state)
}

function setConnection(connection: Connection): void {
  const indicator = byId('conn')
  indicator.setAttribute('data-state', connection)
  indicator.textContent = connection
}

function connect(): void {
  const source = new EventSource(`?stream=1&token=${encodeURIComponent(token)}`)
  // A snapshot (the first message, and the first after each reconnect) holds the whole history.
  const onMessage = (reset: boolean) => (event: MessageEvent<string>) => {
    const message = JSON.parse(event.data) as DashboardMessage
    if (reset) points.length = 0
    addPoints(points, message.points)
    render(message.state)
    if (message.state.closed) {
      source.close()
      setConnection('closed')
    } else {
      setConnection('live')
    }
  }
  source.addEventListener('snapshot', onMessage(true))
  source.addEventListener('update', onMessage(false))
  source.addEventListener('error', () =>
    setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'),
  )
}

setUpLeaks(token)
connect()
