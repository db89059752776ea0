import http from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { heapguardHono } from '../../src/hono.js'
import { createController, type Priority, type ShedOptions } from '../../src/index.js'
import { deferred } from '../support/deferred.js'
import { manualController } from '../support/drive.js'
import { abortableGet, close, get, listen } from '../support/http.js'

type Pressure = ReturnType<typeof manualController>

const controllers: Pressure[] = []
const servers: http.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close))
  for (const c of controllers.splice(0)) c.close()
})

function controller(shed?: ShedOptions): Pressure & { errors: unknown[] } {
  const pressure = manualController(shed)
  controllers.push(pressure)
  const errors: unknown[] = []
  pressure.on('error', (e) => errors.push(e))
  return Object.assign(pressure, { errors })
}

/** The route decides the priority: /critical, /high, /low; anything else is normal. */
const byPath = (path: string): Priority => {
  const first = path.split('/')[1] ?? ''
  return ['critical', 'high', 'low'].includes(first) ? (first as Priority) : 'normal'
}

function app(pressure: Pressure, routes: (app: Hono) => void = () => {}) {
  const hono = new Hono()
  hono.use(heapguardHono({ pressure, priority: (c) => byPath(c.req.path), retryAfter: 5 }))
  routes(hono)
  hono.get('*', (c) => c.json({ ok: true, path: c.req.path }))
  return hono
}

describe('heapguardHono', () => {
  it('admits by the table and refuses with the same 503 as every other adapter', async () => {
    const pressure = controller()
    const hono = app(pressure)
    expect((await hono.request('/low/report')).status).toBe(200)
    pressure.force('critical')
    const refused = await hono.request('/low/report')
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(await refused.json()).toEqual({ error: 'Service Unavailable', level: 'critical', retryAfter: 5 })
    expect((await hono.request('/items/1')).status).toBe(200)
    pressure.force('emergency')
    expect((await hono.request('/items/1')).status).toBe(503)
    expect((await hono.request('/critical/health')).status).toBe(200)
    expect(pressure.shed.stats().refused).toMatchObject({ low: 1, normal: 1 })
  })

  it('keeps the handler’s response, headers and status', async () => {
    const pressure = controller()
    const hono = app(pressure, (h) =>
      h.get('/made', (c) => {
        c.header('x-made', 'yes')
        return c.text('created', 201)
      }),
    )
    const r = await hono.request('/made')
    expect(r.status).toBe(201)
    expect(r.headers.get('x-made')).toBe('yes')
    expect(await r.text()).toBe('created')
  })

  it('gives the slot back when a handler throws, and Hono’s onError answers', async () => {
    const pressure = controller({ concurrency: { normal: 1 } })
    const hono = app(pressure, (h) =>
      h.get('/boom', () => {
        throw new Error('handler broke')
      }),
    )
    hono.onError((error, c) => c.json({ caught: error.message }, 500))
    const r = await hono.request('/boom')
    expect(r.status).toBe(500)
    expect(await r.json()).toEqual({ caught: 'handler broke' })
    expect(pressure.shed.stats().inFlight).toBe(0)
    expect(pressure.errors).toEqual([])
  })

  it('gives the slot back and lets the error through when nothing catches it', async () => {
    const pressure = controller()
    const failure = new Error('next failed')
    const middleware = heapguardHono({ pressure })
    const c = { req: { raw: new Request('http://localhost/') } } as never
    await expect(middleware(c, () => Promise.reject(failure))).rejects.toBe(failure)
    expect(pressure.shed.stats().inFlight).toBe(0)
  })

  it('treats the request as normal when the priority function throws, and reports it', async () => {
    const pressure = controller()
    const hono = new Hono()
    hono.use(
      heapguardHono({
        pressure,
        priority: () => {
          throw new Error('no priority')
        },
      }),
    )
    hono.get('*', (c) => c.text('served'))
    pressure.force('critical') // normal is admitted, low would not be
    const r = await hono.request('/')
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('served')
    expect(String(pressure.errors[0])).toContain('no priority')
    pressure.force('emergency')
    expect((await hono.request('/')).status).toBe(503)
  })

  it('over HTTP (@hono/node-server): a streamed body holds its slot until it ends, under a concurrency limit', async () => {
    const pressure = controller({ concurrency: { normal: 2 } })
    const gate = deferred()
    const hono = app(pressure, (h) =>
      h.get('/export', () => {
        const encoder = new TextEncoder()
        let sent = false
        return new Response(
          new ReadableStream<Uint8Array>({
            async pull(ctl) {
              if (!sent) {
                sent = true
                ctl.enqueue(encoder.encode('first rows\n'))
                return
              }
              await gate.promise
              ctl.enqueue(encoder.encode('last rows\n'))
              ctl.close()
            },
          }),
        )
      }),
    )
    const server = http.createServer(getRequestListener(hono.fetch))
    servers.push(server)
    const base = await listen(server)
    const answer = get(`${base}/export`)
    await vi.waitFor(() => expect(pressure.shed.stats().inFlight).toBe(1))
    // a static answer next to it comes and goes
    expect((await get(`${base}/items/1`)).status).toBe(200)
    expect(pressure.shed.stats().inFlight).toBe(1)
    gate.resolve()
    expect((await answer).body).toBe('first rows\nlast rows\n')
    await vi.waitFor(() => expect(pressure.shed.stats().inFlight).toBe(0))
  })

  it('over HTTP: a client that leaves during a streamed body gives its slot back', async () => {
    const pressure = controller({ concurrency: { normal: 2 } })
    const cancelled = deferred()
    const hono = app(pressure, (h) =>
      h.get('/sse', () => {
        const encoder = new TextEncoder()
        return new Response(
          new ReadableStream<Uint8Array>({
            start: (ctl) => ctl.enqueue(encoder.encode('data: hello\n\n')),
            cancel: () => cancelled.resolve(),
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        )
      }),
    )
    const server = http.createServer(getRequestListener(hono.fetch))
    servers.push(server)
    const base = await listen(server)
    const client = abortableGet(`${base}/sse`)
    await vi.waitFor(() => expect(pressure.shed.stats().inFlight).toBe(1))
    client.abort()
    await cancelled.promise
    await vi.waitFor(() => expect(pressure.shed.stats().inFlight).toBe(0))
  })
})

describe('heapguardHono: bytes', () => {
  it('reserves per request from the Context, refuses what does not fit with 503, and gives everything back', async () => {
    const MiB = 1024 * 1024
    const heap = { name: 'heap', used: 70 * MiB, read: () => ({ used: heap.used, limit: 100 * MiB }) }
    const pressure = createController({ autoStart: false, sources: [heap], logger: {} })
    controllers.push(pressure as Pressure)
    let during = 0
    const hono = new Hono()
    hono.use(
      heapguardHono({
        pressure,
        priority: 'low',
        bytes: (c) => Number(c.req.query('mib') ?? '0') * MiB,
        retryAfter: 3,
      }),
    )
    hono.get('/report', (c) => {
      during = pressure.reserved
      return c.text('rows')
    })
    const small = await hono.request('/report?mib=5')
    expect(small.status).toBe(200)
    expect(during).toBe(5 * MiB)
    const big = await hono.request('/report?mib=30') // 70 + 30 MiB is past low's line (0.85)
    expect(big.status).toBe(503)
    expect(big.headers.get('retry-after')).toBe('3')
    expect(pressure.reserved).toBe(0)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, refusedByReason: { memory: 1 } })
  })
})
