// The dashboard's leak requests (?leaks=report|heapprofile|capture), served by the node handler of
// heapguard/http and by the Web handler of heapguard/web, behind the same token.
import { createServer, type RequestListener } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { createController, PressureController, type Controller } from '../../../src/index.js'
import { dashboardHandler } from '../../../src/http.js'
import { dashboardHandler as webDashboardHandler } from '../../../src/web.js'
import { close, get, listen } from '../../support/http.js'

const TOKEN = 'test-token-0123456789abcdef'
const AUTH = { Authorization: `Bearer ${TOKEN}` }
const cleanup: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

const KINDS = {
  node: (pressure: PressureController): RequestListener => {
    const dashboard = dashboardHandler(pressure, { token: TOKEN })
    cleanup.push(() => dashboard.close())
    return (req, res) => dashboard(req, res)
  },
  web: (pressure: PressureController): RequestListener => {
    const dashboard = webDashboardHandler(pressure, { token: TOKEN })
    cleanup.push(() => dashboard.close())
    return getRequestListener((request) => dashboard(request))
  },
}

async function serve(kind: keyof typeof KINDS, pressure: PressureController = controller()): Promise<string> {
  const server = createServer(KINDS[kind](pressure))
  const base = await listen(server)
  cleanup.push(() => close(server))
  return `${base}/heapguard`
}

function controller(): Controller {
  const pressure = createController({
    autoStart: false,
    logger: {},
    leaks: { auto: false, intervalBytes: 16 * 1024, maxPauseMs: 60_000 },
  })
  cleanup.push(() => pressure.close())
  return pressure
}

describe.each(['node', 'web'] as const)('%s dashboard: ?leaks=', (kind) => {
  it('needs the token for every leak request', async () => {
    const url = await serve(kind)
    for (const [query, method] of [
      ['report', 'GET'],
      ['heapprofile', 'GET'],
      ['capture', 'POST'],
    ] as const) {
      const r = await get(`${url}?leaks=${query}`, { method })
      expect(r.status, query).toBe(401)
      expect(r.headers['www-authenticate']).toBe('Bearer realm="heapguard"')
    }
  })

  it('says there is no report yet, captures on POST, then serves the report as text and the .heapprofile', async () => {
    const pressure = controller()
    const url = await serve(kind, pressure)
    const none = await get(`${url}?leaks=report`, { headers: AUTH })
    expect(none.status).toBe(404)
    expect(JSON.parse(none.body)).toEqual({
      error: 'no leak report yet: capture one (POST ?leaks=capture), or wait for an automatic window',
    })

    const started = await get(`${url}?leaks=capture&durationMs=300&checkpoints=2`, { method: 'POST', headers: AUTH })
    expect(started.status).toBe(202)
    expect(JSON.parse(started.body)).toEqual({ running: true, started: true })
    expect(pressure.leaks.running).toBe(true)
    // While it runs, another request joins it.
    const again = await get(`${url}?leaks=capture&token=${TOKEN}`, { method: 'POST' })
    expect(JSON.parse(again.body)).toEqual({ running: true, started: false })
    const report = await pressure.leaks.capture()
    expect(report.checkpoints).toBe(2)

    const text = await get(`${url}?leaks=report`, { headers: AUTH })
    expect(text.status).toBe(200)
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(text.headers['cache-control']).toBe('no-store')
    // The report's lines, then (when a leak is still held) one line about it.
    expect(text.body.startsWith(`${String(report)}\n`)).toBe(true)
    if (pressure.leaks.suspect !== null) expect(text.body).toMatch(/\nheld: the post-GC heap holds [\d.]+ MiB more/)

    const file = await get(`${url}?leaks=heapprofile&token=${TOKEN}`)
    expect(file.status).toBe(200)
    expect(file.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(file.headers['content-disposition']).toMatch(
      /^attachment; filename="heapguard-\d{4}-\d\d-\d\dT[\d-]+Z\.heapprofile"$/,
    )
    expect(JSON.parse(file.body)).toEqual(report.heapProfile())

    const head = await get(`${url}?leaks=report`, { method: 'HEAD', headers: AUTH })
    expect(head.status).toBe(200)
    expect(head.body).toBe('')

    // The state the page reads carries the report and heap-not-in-caches.
    const state = JSON.parse((await get(`${url}?format=json`, { headers: AUTH })).body).state
    expect(state.leaks).toMatchObject({ running: false, report: { at: report.at, checkpoints: 2 } })
    expect(state.leaks.stats.reports.capture).toBe(1)
    expect('unmanaged' in state).toBe(true)
  })

  it('answers a wrong method, a bad capture and an unknown request clearly', async () => {
    const url = await serve(kind)
    const wrong = await get(`${url}?leaks=capture`, { headers: AUTH })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.allow).toBe('POST')
    const post = await get(`${url}?leaks=report`, { method: 'POST', headers: AUTH })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
    const bad = await get(`${url}?leaks=capture&durationMs=soon`, { method: 'POST', headers: AUTH })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error).toMatch(
      /^dashboard \?leaks=capture: option `durationMs` must be a finite number >= 100/,
    )
    const range = await get(`${url}?leaks=capture&checkpoints=1`, { method: 'POST', headers: AUTH })
    expect(range.status).toBe(400)
    const unknown = await get(`${url}?leaks=snapshot`, { headers: AUTH })
    expect(unknown.status).toBe(400)
    expect(JSON.parse(unknown.body)).toEqual({
      error: 'unknown leaks request "snapshot": use report, heapprofile or capture',
    })
  })

  it('answers 404 for a controller without leaks (a bare PressureController)', async () => {
    const bare = new PressureController({ autoStart: false, logger: {} })
    cleanup.push(() => bare.close())
    const url = await serve(kind, bare)
    const r = await get(`${url}?leaks=report`, { headers: AUTH })
    expect(r.status).toBe(404)
    expect(JSON.parse(r.body).error).toMatch(/no leaks/)
    // The rest of the dashboard still works, and GET-only.
    expect((await get(url, { headers: AUTH })).status).toBe(200)
    expect((await get(url, { method: 'POST', headers: AUTH })).status).toBe(405)
  })
})
