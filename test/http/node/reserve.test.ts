import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import express, { type Request } from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { heapguardFastify } from '../../../src/fastify.js'
import type { Controller, ShedRefusal } from '../../../src/index.js'
import { ledger } from '../../support/drive.js'
import { MiB } from '../../support/sources.js'
import { type Deferred, deferred } from '../../support/deferred.js'
import { abortableGet, close, get, listen } from '../../support/http.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

const servers: http.Server[] = []
const apps: FastifyInstance[] = []
const controllers: Controller[] = []
const openGates: Deferred[] = []
afterEach(async () => {
  for (const gate of openGates.splice(0)) gate.resolve()
  await Promise.all(servers.splice(0).map(close))
  await Promise.all(apps.splice(0).map((app) => app.close()))
  for (const c of controllers.splice(0)) c.close()
})

function controller(used = 10 * MiB) {
  const l = ledger({}, used)
  controllers.push(l.pressure)
  return l
}

/** `/<MiB>/...` reserves that many MiB; the handler decides when the answer ends. */
const bytesOfUrl = (req: { url?: string }) => Number((req.url ?? '').split('/')[1]) * MiB

const kinds = {
  'node:http with next': (pressure: Controller, handler: Handler, bytes = bytesOfUrl) => {
    const shed = pressure.shed.middleware({ bytes, priority: () => 'low' })
    return http.createServer((req, res) => shed(req, res, () => handler(req, res)))
  },
  'node:http awaiting the promise': (pressure: Controller, handler: Handler, bytes = bytesOfUrl) => {
    const shed = pressure.shed.middleware({ bytes, priority: () => 'low' })
    return http.createServer(async (req, res) => {
      if (await shed(req, res)) handler(req, res)
    })
  },
  'Express 5': (pressure: Controller, handler: Handler, bytes = bytesOfUrl) => {
    const app = express()
    app.use(pressure.shed.middleware<Request>({ bytes: (req) => bytes(req), priority: () => 'low' }))
    app.use((req, res) => handler(req, res))
    return http.createServer(app)
  },
}

async function start(
  kind: keyof typeof kinds,
  handler: Handler,
  options: { used?: number; bytes?: typeof bytesOfUrl } = {},
) {
  const l = controller(options.used)
  const server = kinds[kind](l.pressure, handler, options.bytes)
  servers.push(server)
  const base = await listen(server)
  return { ...l, base, server }
}

/** A handler that answers when its gate opens; `entered` resolves when the request reaches it. */
function gated() {
  const gate = deferred()
  openGates.push(gate)
  const entered = deferred()
  const handler: Handler = (_req, res) => {
    entered.resolve()
    void gate.promise.then(() => res.end('done'))
  }
  return { gate, entered, handler }
}

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('%s with `bytes`', (kind) => {
  it('holds the reservation until the response has ended, then releases it once', async () => {
    const { gate, entered, handler } = gated()
    const { pressure, base } = await start(kind, handler)
    const answer = get(`${base}/20/export`)
    await entered.promise
    expect(pressure.reserved).toBe(20 * MiB)
    expect(pressure.reservations.stats().active).toBe(1)
    gate.resolve()
    expect((await answer).status).toBe(200)
    await new Promise((resolve) => setImmediate(resolve))
    expect(pressure.reserved).toBe(0)
    expect(pressure.reservations.stats()).toMatchObject({ active: 0, granted: { low: 1 } })
    expect(pressure.shed.stats().inFlight).toBe(0)
  })

  it('releases it when the client goes away before the answer', async () => {
    const { entered, handler } = gated()
    const { pressure, base, server } = await start(kind, handler)
    const closed = new Promise<void>((resolve) =>
      server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.on('close', () => resolve())),
    )
    const client = abortableGet(`${base}/20/export`)
    await entered.promise
    expect(pressure.reserved).toBe(20 * MiB)
    client.abort()
    await closed
    expect(pressure.reserved).toBe(0)
    expect(pressure.shed.stats().inFlight).toBe(0)
  })

  it('answers 503 when the bytes do not fit, before the handler runs', async () => {
    let ran = 0
    const { pressure, base } = await start(
      kind,
      (_req, res) => {
        ran++
        res.end()
      },
      { used: 70 * MiB },
    )
    const refusals: ShedRefusal[] = []
    pressure.shed.on('refused', (r) => refusals.push(r))
    const answer = await get(`${base}/20/export`)
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('10')
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'Service Unavailable' })
    expect(ran).toBe(0)
    expect(refusals).toEqual([{ priority: 'low', level: 'warning', reason: 'memory', retryAfter: 10 }])
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, refused: { low: 1 }, refusedByReason: { memory: 1 } })
  })

  it('answers 500 and reports it when bytes(req) throws or returns garbage; the server goes on', async () => {
    const garbage: unknown[] = [new Error('no rows header'), 'many', Number.NaN, -1, Infinity, undefined]
    let call = 0
    const bytes = () => {
      const value = garbage[call++]
      if (value instanceof Error) throw value
      return value as number
    }
    const { pressure, base, errors } = await start(kind, (_req, res) => res.end('ok'), { bytes })
    for (let i = 0; i < garbage.length; i++) {
      const answer = await get(`${base}/x`)
      expect(answer.status).toBe(500)
      expect(JSON.parse(answer.body)).toEqual({ error: 'Internal Server Error' })
    }
    expect(errors.map((e) => e.constructor.name)).toEqual([
      'Error',
      'TypeError',
      'RangeError',
      'RangeError',
      'RangeError',
      'TypeError',
    ])
    expect(errors[1]!.message).toBe(
      'heapguard shed: option `bytes` must return a finite number >= 0, got "many" (string); the request was answered with 500',
    )
    expect(pressure.shed.stats().inFlight).toBe(0)
    expect(pressure.reserved).toBe(0)
  })
})

describe('shed.middleware({ bytes }): admission', () => {
  it('admits reserving work by its reservation, not by the measured level; a forced level still refuses it', async () => {
    const { pressure, base, sample } = await start('node:http with next', (_req, res) => res.end('ok'), {
      used: 10 * MiB,
    })
    sample(86 * MiB) // critical: low work without bytes is refused here
    sample(81 * MiB) // still critical (it recovers only below 0.80 for 5 s)
    expect(pressure.level).toBe('critical')
    expect(pressure.shed.admit('low')).toBe(false)
    expect((await get(`${base}/3/small`)).status).toBe(200) // 81 + 3 < 85
    expect((await get(`${base}/5/big`)).status).toBe(503)
    pressure.force('critical')
    expect((await get(`${base}/1/tiny`)).status).toBe(503)
    expect(pressure.shed.stats().refusedByReason).toMatchObject({ level: 2, memory: 1 })
  })

  it('takes a fixed number of bytes', async () => {
    const l = controller()
    const shed = l.pressure.shed.middleware({ bytes: 5 * MiB })
    let seen = 0
    const server = http.createServer((req, res) =>
      shed(req, res, () => {
        seen = l.pressure.reserved
        res.end()
      }),
    )
    servers.push(server)
    const base = await listen(server)
    await get(`${base}/`)
    expect(seen).toBe(5 * MiB)
  })
})

describe('heapguardFastify with bytes', () => {
  async function app(options: Record<string, unknown> = {}, used = 10 * MiB) {
    const l = controller(used)
    const fastify = Fastify({ logger: false })
    apps.push(fastify)
    await fastify.register(heapguardFastify, { pressure: l.pressure, ...options })
    return { ...l, fastify }
  }

  it('reserves the plugin’s bytes for every request until its response ends', async () => {
    const { pressure, fastify } = await app({
      bytes: (request: { url: string }) => (request.url === '/big' ? 30 * MiB : 0),
    })
    let seen = -1
    fastify.get('/big', () => {
      seen = pressure.reserved
      return 'ok'
    })
    const res = await fastify.inject({ method: 'GET', url: '/big' })
    expect(res.statusCode).toBe(200)
    expect(seen).toBe(30 * MiB)
    await fastify.inject({ method: 'GET', url: '/big' })
    expect(pressure.reserved).toBe(0)
    expect(pressure.reservations.stats().granted.normal).toBe(2)
  })

  it('takes a route’s own priority and bytes from config.heapguard', async () => {
    const { pressure, fastify } = await app({}, 70 * MiB)
    let seen: number[] = []
    fastify.get(
      '/export',
      {
        config: {
          heapguard: { priority: 'low', bytes: (request) => Number((request.query as { mib: string }).mib) * MiB },
        },
      },
      () => {
        seen = [pressure.reserved, pressure.reservations.list()[0]!.bytes]
        return 'exported'
      },
    )
    fastify.get(
      '/fixed',
      { config: { heapguard: { bytes: 2 * MiB } } },
      () => pressure.reservations.list()[0]!.priority,
    )
    fastify.get('/plain', () => pressure.reservations.stats().active)
    expect((await fastify.inject({ method: 'GET', url: '/export?mib=10' })).body).toBe('exported')
    expect(seen).toEqual([10 * MiB, 10 * MiB])
    const refused = await fastify.inject({ method: 'GET', url: '/export?mib=20' })
    expect(refused.statusCode).toBe(503)
    expect(refused.json()).toMatchObject({ error: 'Service Unavailable', level: 'warning' })
    expect((await fastify.inject({ method: 'GET', url: '/fixed' })).body).toBe('normal')
    expect((await fastify.inject({ method: 'GET', url: '/plain' })).body).toBe('0')
    expect(pressure.reservations.stats().refused.low).toBe(1)
  })

  it('answers 500 and reports when a bytes function fails', async () => {
    const { fastify, errors } = await app({
      bytes: () => {
        throw new Error('bad query')
      },
    })
    fastify.get('/x', () => 'never')
    const res = await fastify.inject({ method: 'GET', url: '/x' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ error: 'Internal Server Error' })
    expect(errors.map((e) => e.message)).toEqual(['bad query'])
  })

  it('refuses a route with a bad config.heapguard when it is declared', async () => {
    const { fastify } = await app()
    expect(() => fastify.get('/bad', { config: { heapguard: { bytes: -1 } } }, () => 'never')).toThrow(
      new RangeError(
        'heapguardFastify: route GET /bad: config.heapguard.bytes must be a finite number >= 0, got -1 (number)',
      ),
    )
    expect(() => fastify.get('/typo', { config: { heapguard: { bites: 1 } as never } }, () => 'never')).toThrow(
      TypeError,
    )
  })

  it('answers 500 and reports once for a bad config.heapguard on a route declared before the plugin', async () => {
    const l = controller()
    const fastify = Fastify({ logger: false })
    apps.push(fastify)
    fastify.get('/early', { config: { heapguard: { priority: 'urgent' } as never } }, () => 'never')
    await fastify.register(heapguardFastify, { pressure: l.pressure })
    expect((await fastify.inject({ method: 'GET', url: '/early' })).statusCode).toBe(500)
    expect((await fastify.inject({ method: 'GET', url: '/early' })).statusCode).toBe(500)
    expect(l.errors.map((e) => e.message)).toEqual([
      "heapguardFastify: route GET /early: config.heapguard.priority must be one of 'critical', 'high', 'normal', 'low', got \"urgent\" (string)",
    ])
  })

  it('releases the reservation when the handler throws', async () => {
    const { pressure, fastify } = await app({ bytes: 3 * MiB })
    fastify.get('/boom', () => {
      throw new Error('boom')
    })
    expect((await fastify.inject({ method: 'GET', url: '/boom' })).statusCode).toBe(500)
    await fastify.inject({ method: 'GET', url: '/boom' })
    expect(pressure.reserved).toBe(0)
  })

  it('needs a controller with reserve() for bytes', async () => {
    const fastify = Fastify({ logger: false })
    apps.push(fastify)
    const l = controller()
    const old = { shed: l.pressure.shed, report: (e: unknown) => l.pressure.report(e) }
    await expect(fastify.register(heapguardFastify, { pressure: old as never, bytes: 1 }).ready()).rejects.toThrow(
      'heapguardFastify: option `bytes` needs a controller with reserve()',
    )
  })
})

describe('shed.run({ bytes })', () => {
  it('holds the reservation for the life of fn and releases it however fn ends', async () => {
    const { pressure } = controller()
    expect(await pressure.shed.run(() => pressure.reserved, { bytes: 8 * MiB })).toBe(8 * MiB)
    expect(pressure.reserved).toBe(0)
    await expect(
      pressure.shed.run(
        () => {
          throw new Error('sync')
        },
        { bytes: MiB },
      ),
    ).rejects.toThrow('sync')
    await expect(pressure.shed.run(() => Promise.reject(new Error('async')), { bytes: MiB })).rejects.toThrow('async')
    const abort = new AbortController()
    const running = pressure.shed.run(() => new Promise(() => {}), { bytes: MiB, signal: abort.signal })
    await Promise.resolve()
    expect(pressure.reserved).toBe(MiB)
    abort.abort(new Error('stop'))
    await expect(running).rejects.toThrow('stop')
    expect(pressure.reserved).toBe(0)
    expect(pressure.shed.stats().inFlight).toBe(0)
  })

  it('rejects with a ShedError (reason memory) when the bytes do not fit, and never calls fn', async () => {
    const { pressure } = controller(90 * MiB)
    let called = false
    await expect(
      pressure.shed.run(
        () => {
          called = true
        },
        { bytes: 10 * MiB, priority: 'normal' },
      ),
    ).rejects.toMatchObject({ name: 'ShedError', reason: 'memory', priority: 'normal' })
    expect(called).toBe(false)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, refusedByReason: { memory: 1 } })
  })

  it('is admitted by its reservation at a measured level that refuses its priority', async () => {
    const { pressure, sample } = controller(10 * MiB)
    sample(96 * MiB)
    sample(60 * MiB)
    expect(pressure.level).toBe('emergency')
    await expect(pressure.shed.run(() => 'no bytes', { priority: 'normal' })).rejects.toMatchObject({ reason: 'level' })
    expect(await pressure.shed.run(() => 'reserved', { priority: 'normal', bytes: 20 * MiB })).toBe('reserved')
  })
})
