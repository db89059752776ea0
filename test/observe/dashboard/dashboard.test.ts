import { createHash } from 'node:crypto'
import { createServer, type RequestListener, type Server } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createController, type Controller } from '../../../src/index.js'
import {
  dashboardHandler,
  type DashboardHandler,
  type DashboardMessage,
  type DashboardOptions,
} from '../../../src/http.js'
import { dashboardHandler as webDashboardHandler } from '../../../src/web.js'
import { close, get, listen } from '../../support/http.js'
import { bytesSource } from '../../support/sources.js'
import { openStream, type SseClient } from '../helpers.js'

const TOKEN = 'test-token-0123456789abcdef'
const cleanup: (() => Promise<void> | void)[] = []
/** Socket closes reach the server soon, but CI machines are slow and shared. */
const WAIT = { timeout: 5000 }

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

interface Served {
  pressure: Controller
  heap: ReturnType<typeof bytesSource>
  dashboard: Pick<DashboardHandler, 'connections' | 'close'>
  base: string
}

/**
 * The dashboard served two ways, with the same answers expected of both: the node handler of
 * heapguard/http, and the Web handler of heapguard/web behind @hono/node-server's adapter
 * (which turns node:http requests into Web Requests and streams the Response body back).
 */
const KINDS = {
  node: (pressure: Controller, options: DashboardOptions) => {
    const dashboard = dashboardHandler(pressure, options)
    const listener: RequestListener = (req, res) => {
      if (req.url?.startsWith('/heapguard')) dashboard(req, res)
      else res.writeHead(404).end()
    }
    return { dashboard, listener }
  },
  web: (pressure: Controller, options: DashboardOptions) => {
    const dashboard = webDashboardHandler(pressure, options)
    const listener = getRequestListener((request) =>
      new URL(request.url).pathname.startsWith('/heapguard') ? dashboard(request) : new Response(null, { status: 404 }),
    )
    return { dashboard, listener }
  },
}
type Kind = keyof typeof KINDS
let kind: Kind = 'node'

async function serve(options: Partial<DashboardOptions> = {}): Promise<Served> {
  const heap = bytesSource('heap', 0, 1000)
  const pressure = createController({ autoStart: false, sources: [heap], logger: {} })
  const { dashboard, listener } = KINDS[kind](pressure, { token: TOKEN, updateMs: 50, ...options })
  const server: Server = createServer(listener)
  const base = `${await listen(server)}/heapguard`
  cleanup.push(
    () => pressure.close(),
    () => close(server),
    () => dashboard.close(),
  )
  return { pressure, heap, dashboard, base }
}

const parse = (data: string): DashboardMessage => JSON.parse(data) as DashboardMessage

async function stream(s: Served): Promise<SseClient> {
  const client = await openStream(`${s.base}?stream=1&token=${TOKEN}`)
  cleanup.push(() => client.close())
  return client
}

describe.each(Object.keys(KINDS) as Kind[])('%s', (which) => {
  beforeEach(() => {
    kind = which
  })

  describe('dashboardHandler: access', () => {
    it('answers 401 without the right token', async () => {
      const { base } = await serve()
      const cases = [
        await get(base),
        await get(`${base}?token=wrong-token-0123456789abcdef`),
        await get(`${base}?token=${TOKEN.slice(0, -1)}`),
        await get(base, { headers: { Authorization: 'Bearer wrong-token-0123456789abcdef' } }),
        await get(base, { headers: { Authorization: `Basic ${TOKEN}` } }),
        await get(`${base}?stream=1`),
        await get(`${base}?format=json`),
      ]
      for (const r of cases) {
        expect(r.status).toBe(401)
        expect(r.headers['www-authenticate']).toBe('Bearer realm="heapguard"')
        expect(r.headers['cache-control']).toBe('no-store')
        expect(JSON.parse(r.body).error).toMatch(/token/)
        expect(r.body).not.toContain(TOKEN)
      }
    })

    it('serves the page with the token as a Bearer header or a query parameter', async () => {
      const { base } = await serve()
      const byHeader = await get(base, { headers: { Authorization: `Bearer ${TOKEN}` } })
      const byQuery = await get(`${base}?token=${TOKEN}`)
      for (const r of [byHeader, byQuery]) {
        expect(r.status).toBe(200)
        expect(r.headers['content-type']).toBe('text/html; charset=utf-8')
        expect(r.body).toContain('id="level"')
        expect(r.body).toContain('id="chart"')
        expect(r.body).toContain('id="caches"')
      }
    })

    it('is self-contained and locked down: CSP by hash, nosniff, no-store, no framing', async () => {
      const { base } = await serve()
      const r = await get(`${base}?token=${TOKEN}`)
      expect(r.headers['x-content-type-options']).toBe('nosniff')
      expect(r.headers['cache-control']).toBe('no-store')
      expect(r.headers['x-frame-options']).toBe('DENY')
      expect(r.headers['referrer-policy']).toBe('no-referrer')
      const csp = r.headers['content-security-policy'] as string
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("connect-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      // The inline script and style are the only ones allowed, by their hashes.
      const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`
      const script = /<script>([\s\S]*?)<\/script>/.exec(r.body)![1]!
      const style = /<style>([\s\S]*?)<\/style>/.exec(r.body)![1]!
      expect(csp).toContain(`script-src ${hash(script)}`)
      expect(csp).toContain(`style-src ${hash(style)}`)
      // Nothing is loaded from anywhere else.
      expect(r.body.match(/\b(?:src|href)="[^"]*"/g)).toEqual(['href="data:,"'])
      expect(r.body).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
      expect(r.body).not.toContain('innerHTML')
    })

    it('escapes what it puts into the HTML', async () => {
      const token = 'x"><script>alert(1)</script>0123456789'
      const { base } = await serve({ token, title: '<b>shop</b> & co' })
      const r = await get(`${base}?token=${encodeURIComponent(token)}`)
      expect(r.status).toBe(200)
      expect(r.body).not.toContain('<script>alert(1)')
      expect(r.body).not.toContain('<b>shop</b>')
      expect(r.body).toContain('data-token="x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;0123456789"')
      expect(r.body).toContain('<title>&lt;b&gt;shop&lt;/b&gt; &amp; co</title>')
    })

    it('answers HEAD without a body and refuses other methods', async () => {
      const { base } = await serve()
      const head = await get(`${base}?token=${TOKEN}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.body).toBe('')
      const post = await get(`${base}?token=${TOKEN}`, { method: 'POST' })
      expect(post.status).toBe(405)
    })

    it('gives the state as JSON with ?format=json', async () => {
      const s = await serve()
      s.heap.used = 720
      s.pressure.sample()
      const r = await get(`${s.base}?format=json`, { headers: { Authorization: `Bearer ${TOKEN}` } })
      expect(r.status).toBe(200)
      const body = JSON.parse(r.body)
      expect(body.state).toMatchObject({
        level: 'warning',
        ratio: 0.72,
        forced: null,
        mode: 'enforce',
        closed: false,
        errors: [],
      })
      s.pressure.mode = 'observe'
      const observed = await get(`${s.base}?format=json`, { headers: { Authorization: `Bearer ${TOKEN}` } })
      expect(JSON.parse(observed.body).state).toMatchObject({ level: 'warning', mode: 'observe' })
      expect(body.state.sources).toEqual({
        heap: { name: 'heap', used: 720, limit: 1000, ratio: 0.72, reserved: null },
      })
      // The same shape as Sample.sources: a record by source name (code that reads one reads the other).
      const sample = s.pressure.lastSample!
      expect(Object.keys(body.state.sources)).toEqual(Object.keys(sample.sources))
      expect(body.state.sources.heap).toMatchObject(sample.sources.heap!)
      expect(body.state.thresholds).toEqual({ warning: 0.7, critical: 0.85, emergency: 0.95 })
      expect(body.history).toHaveLength(1)
      expect(body.state.transitions).toEqual([
        expect.objectContaining({ from: 'normal', to: 'warning', forced: false }),
      ])
    })

    it('shows reserved bytes beside the heap, the reservation ledger and the cache budget', async () => {
      const s = await serve()
      s.heap.used = 300
      s.pressure.reserve(200, { priority: 'low' })
      expect(() => s.pressure.reserve(400, { priority: 'low' })).toThrow()
      s.pressure.sample()
      const body = JSON.parse((await get(`${s.base}?format=json&token=${TOKEN}`)).body)
      expect(body.state.sources).toEqual({ heap: { name: 'heap', used: 300, limit: 1000, ratio: 0.5, reserved: 200 } })
      expect(body.state.reservations).toMatchObject({ active: 1, reserved: 200, held: 200, refused: { low: 1 } })
      expect(body.state.cacheBudget).toBeNull()
    })

    it('shows the rest of the state when one subsystem fails to read', async () => {
      const s = await serve()
      s.pressure.caches.lru('users', { max: 10 })
      vi.spyOn(s.pressure.caches, 'stats').mockImplementation(() => {
        throw new Error('stats broke')
      })
      s.heap.used = 100
      s.pressure.sample()
      const body = JSON.parse((await get(`${s.base}?format=json&token=${TOKEN}`)).body)
      expect(body.state.caches).toBeNull()
      expect(body.state.errors).toEqual(['caches: stats broke'])
      expect(body.state.features).toEqual([])
      expect(body.state.ratio).toBe(0.1)
      // The live stream goes on too.
      const client = await stream(s)
      const first = parse((await client.next((e) => e.event === 'snapshot')).data)
      expect(first.state.errors).toEqual(['caches: stats broke'])
    })

    it('rejects a missing, short or mistyped token and bad options at construction', () => {
      const pressure = createController({ autoStart: false, sources: [bytesSource()], logger: {} })
      cleanup.push(() => pressure.close())
      // @ts-expect-error options are required
      expect(() => dashboardHandler(pressure)).toThrow(TypeError)
      // @ts-expect-error the token is required
      expect(() => dashboardHandler(pressure, {})).toThrow(/option `token` must be a string/)
      // @ts-expect-error not a string
      expect(() => dashboardHandler(pressure, { token: 12345678901234 })).toThrow(TypeError)
      expect(() => dashboardHandler(pressure, { token: 'short' })).toThrow(RangeError)
      expect(() => dashboardHandler(pressure, { token: 'short' })).toThrow(/at least 16 characters long, got one of 5/)
      expect(() => dashboardHandler(pressure, { token: TOKEN, updateMs: 0 })).toThrow(/option `updateMs`/)
      // @ts-expect-error unknown option
      expect(() => dashboardHandler(pressure, { token: TOKEN, refresh: 1 })).toThrow(/unknown option `refresh`/)
      // @ts-expect-error not a controller
      expect(() => dashboardHandler({ level: 'normal' }, { token: TOKEN })).toThrow(/argument `pressure`/)
    })
  })

  describe('dashboardHandler: live stream', () => {
    it('starts with a snapshot of the state and history, then sends samples as they come', async () => {
      const s = await serve()
      s.heap.used = 300
      s.pressure.sample()
      const client = await stream(s)
      expect(client.status).toBe(200)
      expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(client.headers['cache-control']).toBe('no-store')

      const first = parse((await client.next((e) => e.event === 'snapshot')).data)
      expect(first.state.level).toBe('normal')
      expect(first.points).toEqual([[s.pressure.lastSample!.at, 0.3, 0]])

      s.heap.used = 750
      const sample = s.pressure.sample()
      const update = await client.next((e) => e.event === 'update' && parse(e.data).points.some((p) => p[1] === 0.75))
      const message = parse(update.data)
      expect(message.points).toContainEqual([sample.at, 0.75, 1])
      expect(message.state.level).toBe('warning')
      expect(message.state.sources.heap).toMatchObject({ name: 'heap', used: 750 })
    })

    it('sends a forced level at once, as a state and a chart point', async () => {
      const s = await serve({ updateMs: 60_000 }) // no timer-driven update can arrive during the test
      s.pressure.sample()
      const client = await stream(s)
      await client.next((e) => e.event === 'snapshot')
      const count = client.events.length
      s.pressure.force('critical')
      const message = parse((await client.next((e) => e.event === 'update', count)).data)
      expect(message.state).toMatchObject({ level: 'critical', measuredLevel: 'normal', forced: 'critical' })
      expect(message.points.at(-1)![2]).toBe(2)
    })

    it('sends each new point once, in order, without reading the history again', async () => {
      const s = await serve({ updateMs: 60_000 }) // updates go out on level changes only
      s.heap.used = 100
      s.pressure.sample()
      const client = await stream(s)
      await client.next((e) => e.event === 'snapshot')
      const history = vi.spyOn(s.pressure, 'history')

      const samples = [200, 300, 400].map((used) => {
        s.heap.used = used
        return s.pressure.sample()
      })
      let count = client.events.length
      s.pressure.force('critical')
      const first = parse((await client.next((e) => e.event === 'update', count)).data)
      const toCritical = s.pressure.transitions().at(-1)!
      expect(first.points).toEqual([...samples.map((x) => [x.at, x.ratio, 0]), [toCritical.at, 0.4, 2]])

      // The next update holds only what came after the first one.
      s.heap.used = 500
      const later = s.pressure.sample()
      count = client.events.length
      s.pressure.release()
      const second = parse((await client.next((e) => e.event === 'update', count)).data)
      const toNormal = s.pressure.transitions().at(-1)!
      expect(second.points).toEqual([
        [later.at, 0.5, 2],
        [toNormal.at, 0.5, 0],
      ])
      expect(second.state.level).toBe('normal')
      expect(history).not.toHaveBeenCalled()
    })

    it('a page opening while points are pending gets them in its snapshot, not again after it', async () => {
      const s = await serve({ updateMs: 60_000 })
      const a = await stream(s)
      await a.next((e) => e.event === 'snapshot')
      s.heap.used = 600
      const pending = s.pressure.sample()
      const b = await stream(s)
      const snapshot = parse((await b.next((e) => e.event === 'snapshot')).data)
      expect(snapshot.points).toEqual([[pending.at, 0.6, 0]])
      // The page already open was brought up to date before the new one joined.
      const caughtUp = parse((await a.next((e) => e.event === 'update')).data)
      expect(caughtUp.points).toEqual([[pending.at, 0.6, 0]])

      const countA = a.events.length
      const countB = b.events.length
      s.pressure.force('warning')
      const change = s.pressure.transitions().at(-1)!
      for (const [client, from] of [
        [a, countA],
        [b, countB],
      ] as const) {
        const update = parse((await client.next((e) => e.event === 'update', from)).data)
        expect(update.points).toEqual([[change.at, 0.6, 1]])
      }
    })

    it('stops sending and detaches from the controller when the client goes away', async () => {
      const s = await serve()
      const on = vi.spyOn(s.pressure, 'on')
      const off = vi.spyOn(s.pressure, 'off')
      const a = await stream(s)
      const b = await stream(s)
      await a.next((e) => e.event === 'snapshot')
      await b.next((e) => e.event === 'snapshot')
      expect(s.dashboard.connections).toBe(2)
      // One subscription serves every page.
      expect(on.mock.calls.map((c) => c[0]).sort()).toEqual(['level', 'sample'])

      a.close()
      await vi.waitFor(() => expect(s.dashboard.connections).toBe(1), WAIT)
      expect(off).not.toHaveBeenCalled()
      s.heap.used = 500
      s.pressure.sample()
      await b.next((e) => e.event === 'update' && parse(e.data).points.some((p) => p[1] === 0.5))

      b.close()
      await vi.waitFor(() => expect(s.dashboard.connections).toBe(0), WAIT)
      expect(off.mock.calls.map((c) => c[0]).sort()).toEqual(['level', 'sample'])
      // Nothing is left to write to: sampling and forcing go on without the stream.
      s.pressure.sample()
      s.pressure.force('emergency')
      expect(s.pressure.level).toBe('emergency')
    })

    it('close() ends every open stream', async () => {
      const s = await serve()
      const client = await stream(s)
      await client.next((e) => e.event === 'snapshot')
      s.dashboard.close()
      await vi.waitFor(() => expect(client.ended).toBe(true), WAIT)
      expect(s.dashboard.connections).toBe(0)
    })

    it('ends the stream when the controller closes', async () => {
      const s = await serve()
      const client = await stream(s)
      await client.next((e) => e.event === 'snapshot')
      s.pressure.close()
      const last = parse((await client.next((e) => e.event === 'update' && parse(e.data).state.closed)).data)
      expect(last.state.closed).toBe(true)
      await vi.waitFor(() => expect(client.ended).toBe(true), WAIT)
      expect(s.dashboard.connections).toBe(0)
    })
  })
})

describe('dashboardHandler: mounted in frameworks', () => {
  beforeEach(() => {
    kind = 'node'
  })

  it('works under an Express mount path', async () => {
    const heap = bytesSource('heap', 0, 1000)
    const pressure = createController({ autoStart: false, sources: [heap], logger: {} })
    const dashboard = dashboardHandler(pressure, { token: TOKEN, updateMs: 50 })
    const app = express()
    app.use('/ops/heapguard', dashboard)
    const server = createServer(app)
    const base = await listen(server)
    cleanup.push(
      () => pressure.close(),
      () => close(server),
      () => dashboard.close(),
    )

    expect((await get(`${base}/ops/heapguard`)).status).toBe(401)
    expect((await get(`${base}/ops/heapguard?token=${TOKEN}`)).status).toBe(200)
    heap.used = 400
    pressure.sample()
    const client = await openStream(`${base}/ops/heapguard?stream=1&token=${TOKEN}`)
    cleanup.push(() => client.close())
    const first = parse((await client.next((e) => e.event === 'snapshot')).data)
    expect(first.state.ratio).toBe(0.4)
  })

  it('works in Fastify through reply.hijack() and the raw objects', async () => {
    const pressure = createController({ autoStart: false, sources: [bytesSource('heap', 0, 1000)], logger: {} })
    const dashboard = dashboardHandler(pressure, { token: TOKEN })
    const app = Fastify()
    app.get('/heapguard', (request, reply) => {
      reply.hijack()
      dashboard(request.raw, reply.raw)
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address() as { port: number }
    cleanup.push(
      () => pressure.close(),
      () => app.close(),
      () => dashboard.close(),
    )
    const base = `http://127.0.0.1:${address.port}/heapguard`
    expect((await get(base)).status).toBe(401)
    const ok = await get(base, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(ok.status).toBe(200)
    expect(ok.headers['content-security-policy']).toContain("default-src 'none'")
  })
})
