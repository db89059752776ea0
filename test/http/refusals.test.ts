// A refusal raised inside a guarded handler (a `pressure.reserve()` after a count query, `shed.run`)
// is answered 503 with Retry-After and heapguard's body, in every adapter; and the helpers that
// build that answer for code that catches its own ShedError.
import http from 'node:http'
import { getRequestListener } from '@hono/node-server'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { heapguardFastify } from '../../src/fastify.js'
import { heapguardHono } from '../../src/hono.js'
import { sendRefusal, shedErrorHandler } from '../../src/http.js'
import { ShedError } from '../../src/index.js'
import { refusalResponse, withPressure } from '../../src/web.js'
import { ledger } from '../support/drive.js'
import { close, get, listen, type Answer } from '../support/http.js'

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

/** A 100 MiB heap at 50 MiB: a reservation of 60 MiB does not fit (a bulk import that counted its rows). */
function controller() {
  const l = ledger({}, 50 * MiB)
  ledgers.push(l)
  return l
}
const importRows = (l: Ledger) => l.pressure.reserve(60 * MiB)

function expectRefusal(
  status: number,
  header: (name: string) => string | null | undefined,
  body: string,
  retryAfter = 10,
) {
  expect(status).toBe(503)
  expect(header('retry-after')).toBe(String(retryAfter))
  expect(header('cache-control')).toBe('no-store')
  expect(JSON.parse(body)).toEqual({ error: 'Service Unavailable', level: 'normal', retryAfter })
}
const expectAnswer = (a: Answer, retryAfter?: number) =>
  expectRefusal(a.status, (name) => a.headers[name] as string | undefined, a.body, retryAfter)
async function expectResponse(r: Response, retryAfter?: number) {
  expectRefusal(r.status, (name) => r.headers.get(name), await r.text(), retryAfter)
}

async function serve(listener: http.RequestListener) {
  const server = http.createServer(listener)
  servers.push(server)
  return listen(server)
}

describe('withPressure: a ShedError raised inside the handler', () => {
  it('is a 503 whether thrown or rejected, and the slot and reservation are given back; nothing reported', async () => {
    const l = controller()
    const sync = withPressure(
      () => {
        importRows(l)
        return new Response('imported')
      },
      { pressure: l.pressure },
    )
    const later = withPressure(
      async () => {
        await Promise.resolve() // the count query
        using job = importRows(l)
        return new Response(`imported ${job.bytes}`)
      },
      { pressure: l.pressure, bytes: MiB },
    )
    await expectResponse(await sync(new Request('http://x/')))
    await expectResponse(await later(new Request('http://x/')))
    expect(l.pressure.shed.stats().inFlight).toBe(0)
    expect(l.pressure.reserved).toBe(0)
    expect(l.errors).toEqual([])
  })

  it('carries the guard’s own Retry-After; other errors still propagate unchanged', async () => {
    const l = controller()
    const boom = new Error('db down')
    const GET = withPressure(
      (request: Request) => {
        if (request.url.endsWith('/boom')) throw boom
        importRows(l)
        return new Response('never')
      },
      { pressure: l.pressure, retryAfter: 3 },
    )
    await expectResponse(await GET(new Request('http://x/')), 3)
    await expect(GET(new Request('http://x/boom'))).rejects.toBe(boom)
  })
})

describe('heapguardHono: a ShedError raised inside a handler', () => {
  it('is a 503 with heapguard’s body, whatever onError made of it', async () => {
    const l = controller()
    const app = new Hono()
    app.use(heapguardHono({ pressure: l.pressure }))
    app.get('/import', async (c) => {
      await Promise.resolve()
      importRows(l)
      return c.text('never')
    })
    app.get('/boom', () => {
      throw new Error('db down')
    })
    app.onError((error, c) => c.json({ mine: String(error) }, 500, { 'x-mine': '1' }))
    await expectResponse(await app.request('/import'))
    const other = await app.request('/boom')
    expect(other.status).toBe(500)
    expect(other.headers.get('x-mine')).toBe('1')
    const base = await serve(getRequestListener(app.fetch))
    const over = await get(`${base}/import`)
    expectAnswer(over)
    expect(over.headers['x-mine']).toBeUndefined()
    expect(l.pressure.shed.stats().inFlight).toBe(0)
  })
})

describe('node middleware and Express: a ShedError raised inside a handler', () => {
  it('node:http with next: a ShedError thrown by the handler is answered 503 by the middleware', async () => {
    const l = controller()
    const shed = l.pressure.shed.middleware({ retryAfter: 4 })
    const base = await serve((req, res) =>
      shed(req, res, () => {
        importRows(l)
        res.end('never')
      }),
    )
    expectAnswer(await get(base), 4)
    expect(l.errors).toEqual([])
  })

  it('Express: shedErrorHandler() answers a thrown, rejected or next(err)ed ShedError; other errors go on', async () => {
    const l = controller()
    const app = express()
    app.use(l.pressure.shed.middleware())
    app.get('/thrown', () => {
      importRows(l)
    })
    app.get('/rejected', async () => {
      await Promise.resolve()
      importRows(l)
    })
    app.get('/next', (_req, _res, next) => {
      try {
        importRows(l)
      } catch (error) {
        next(error)
      }
    })
    app.get('/boom', () => {
      throw new Error('db down')
    })
    app.use(shedErrorHandler())
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ mine: error.message })
    })
    const base = await serve(app)
    for (const path of ['/thrown', '/rejected', '/next']) expectAnswer(await get(base + path))
    const other = await get(`${base}/boom`)
    expect([other.status, JSON.parse(other.body)]).toEqual([500, { mine: 'db down' }])
    expect(l.pressure.shed.stats().inFlight).toBe(0)
  })

  it('sendRefusal writes the 503 on a node response; a response already started is ended instead', async () => {
    const l = controller()
    const base = await serve((req, res) => {
      try {
        if (req.url === '/started') res.write('partial')
        importRows(l)
      } catch (error) {
        sendRefusal(res, error)
      }
    })
    expectAnswer(await get(base))
    await expect(get(`${base}/started`)).rejects.toThrow()
  })
})

describe('heapguardFastify: a ShedError raised inside a handler', () => {
  async function start(setup: (app: FastifyInstance, l: Ledger) => void) {
    const l = controller()
    const app = Fastify({ logger: false })
    apps.push(app)
    await app.register(heapguardFastify, { pressure: l.pressure, retryAfter: 2 })
    setup(app, l)
    await app.ready()
    return { l, app }
  }

  it('is a 503 from an async handler, a sync one and reply.send(error), beside the app’s own error handler', async () => {
    const { app, l } = await start((app, l) => {
      app.setErrorHandler((error, _request, reply) => reply.code(500).send({ mine: (error as Error).message }))
      app.get('/async', async () => {
        await Promise.resolve()
        importRows(l)
        return 'never'
      })
      app.get('/sync', () => {
        importRows(l)
      })
      app.get('/send', (_request, reply) => {
        try {
          importRows(l)
        } catch (error) {
          void reply.send(error)
        }
      })
      app.get('/boom', async () => {
        throw new Error('db down')
      })
      app.get(
        '/own',
        {
          errorHandler: (error, _request, reply) => reply.code(418).send({ own: (error as Error).message }),
        },
        async (request) => {
          if (request.query !== null && 'shed' in (request.query as object)) importRows(l)
          throw new Error('teapot')
        },
      )
    })
    for (const url of ['/async', '/sync', '/send', '/own?shed']) {
      const r = await app.inject({ url })
      expectRefusal(r.statusCode, (name) => r.headers[name] as string | undefined, r.body, 2)
    }
    const boom = await app.inject({ url: '/boom' })
    expect([boom.statusCode, boom.json()]).toEqual([500, { mine: 'db down' }])
    const own = await app.inject({ url: '/own' })
    expect([own.statusCode, own.json()]).toEqual([418, { own: 'teapot' }])
    expect(l.pressure.shed.stats().inFlight).toBe(0)
  })
})

describe('the refusal helpers', () => {
  it('refusalResponse builds the 503 of a refusal at the door, for code that catches its own', async () => {
    const error = new ShedError({ priority: 'low', level: 'critical', reason: 'memory', retryAfter: 7 })
    const response = refusalResponse(error)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('7')
    expect(await response.json()).toEqual({ error: 'Service Unavailable', level: 'critical', retryAfter: 7 })
  })

  it('refuse anything but a ShedError with a TypeError naming it', () => {
    expect(() => refusalResponse(new Error('db down'))).toThrow(
      /refusalResponse: argument `error` must be a ShedError \(code 'HEAPGUARD_SHED'\), got/,
    )
    const res = new http.ServerResponse(new http.IncomingMessage(null as never))
    expect(() => sendRefusal(res, 'nope')).toThrow(TypeError)
  })
})
