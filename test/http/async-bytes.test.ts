// `bytes` may return a promise (count the rows first, then reserve for them), in every adapter:
// the reservation is held for the request's life, a count that does not fit is a 503 before the
// handler runs, and a count that rejects (or resolves to garbage) follows the rule of a failing
// `bytes`: reported on 'error', the request answered 500, never an unhandled rejection.
import http from 'node:http'
import { getRequestListener } from '@hono/node-server'
import Fastify, { type FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { heapguardFastify } from '../../src/fastify.js'
import { heapguardHono } from '../../src/hono.js'
import { withPressure } from '../../src/web.js'
import { ledger } from '../support/drive.js'
import { close, get, listen } from '../support/http.js'

const MiB = 1024 * 1024
type Ledger = ReturnType<typeof ledger>
const ledgers: Ledger[] = []
const servers: http.Server[] = []
const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close))
  await Promise.all(apps.splice(0).map((app) => app.close()))
  for (const l of ledgers.splice(0)) l.pressure.close()
})

/** The rows of a school, counted by a query; `?rows=` stands in for the table, `?fail` for a broken database. */
async function countThenWeigh(url: string): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve)) // the count query
  const query = new URL(url, 'http://x').searchParams
  if (query.has('fail')) throw new Error('count failed')
  if (query.has('garbage')) return NaN
  return Number(query.get('rows')) * 1_000
}

/** One server per adapter, each answering `{ reserved }` (the bytes held while its handler runs). */
const adapters: Record<string, (l: Ledger) => Promise<string>> = {
  async withPressure(l) {
    const handler = withPressure(async () => Response.json({ reserved: l.pressure.reserved }), {
      pressure: l.pressure,
      bytes: (request: Request) => countThenWeigh(request.url),
    })
    const server = http.createServer(getRequestListener(handler))
    servers.push(server)
    return listen(server)
  },
  async 'shed.middleware'(l) {
    const shed = l.pressure.shed.middleware({ bytes: (req) => countThenWeigh(req.url ?? '/') })
    const server = http.createServer((req, res) =>
      shed(req, res, () => res.end(JSON.stringify({ reserved: l.pressure.reserved }))),
    )
    servers.push(server)
    return listen(server)
  },
  async heapguardFastify(l) {
    const app = Fastify({ logger: false })
    apps.push(app)
    await app.register(heapguardFastify, { pressure: l.pressure, bytes: (request) => countThenWeigh(request.url) })
    app.get('/*', async () => ({ reserved: l.pressure.reserved }))
    return app.listen({ port: 0, host: '127.0.0.1' })
  },
  async heapguardHono(l) {
    const app = new Hono()
    app.use(heapguardHono({ pressure: l.pressure, bytes: (c) => countThenWeigh(c.req.url) }))
    app.get('*', (c) => c.json({ reserved: l.pressure.reserved }))
    const server = http.createServer(getRequestListener(app.fetch))
    servers.push(server)
    return listen(server)
  },
}

describe.each(Object.keys(adapters))('%s: an async bytes', (name) => {
  async function start() {
    const l = ledger({}, 50 * MiB) // 100 MiB heap at 50 MiB: 'normal' reserves up to 0.95
    ledgers.push(l)
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const base = await adapters[name]!(l)
    return { l, base, unhandled, stop: () => process.off('unhandledRejection', onUnhandled) }
  }

  it('counts first, holds what it counted while the handler runs, and gives it back', async () => {
    const { l, base, stop } = await start()
    const ok = await get(`${base}/export?rows=2000`)
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body)).toEqual({ reserved: 2_000_000 })
    expect(l.pressure.reserved).toBe(0)
    expect(l.pressure.shed.stats().inFlight).toBe(0)
    expect(l.errors).toEqual([])
    stop()
  })

  it('refuses a count that does not fit with the 503 of a refusal, before the handler runs', async () => {
    const { l, base, stop } = await start()
    const refused = await get(`${base}/export?rows=60000`) // 60 MB on 50 of 100 MiB
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('10')
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'Service Unavailable' })
    expect(l.pressure.reserved).toBe(0)
    expect(l.pressure.shed.stats().inFlight).toBe(0)
    stop()
  })

  it('answers 500 and reports a count that rejects or resolves to garbage; nothing unhandled, nothing held', async () => {
    const { l, base, unhandled, stop } = await start()
    expect((await get(`${base}/export?fail`)).status).toBe(500)
    expect((await get(`${base}/export?garbage`)).status).toBe(500)
    expect(l.errors.map(String)).toEqual([
      'Error: count failed',
      expect.stringContaining('option `bytes` must return a finite number >= 0, got NaN'),
    ])
    expect(l.pressure.reserved).toBe(0)
    expect(l.pressure.shed.stats().inFlight).toBe(0)
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled).toEqual([])
    stop()
  })
})
