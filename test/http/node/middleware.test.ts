import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import express, { type Request } from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { LEVELS, PRIORITIES, type Level, type Priority, type ShedOptions } from '../../../src/index.js'
import { type Deferred, deferred } from '../../support/deferred.js'
import { manualController } from '../../support/drive.js'
import { abortableGet, close, get, listen } from '../../support/http.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
type Pressure = ReturnType<typeof manualController>

/** The route decides the priority, as a server would: /critical, /high, /low; anything else is normal. */
const priorityOfUrl = (url = '/'): Priority => {
  const first = url.split('/')[1] ?? ''
  return (PRIORITIES as readonly string[]).includes(first) ? (first as Priority) : 'normal'
}

const ok: Handler = (_req, res) => res.end('ok')

/** The same shedding in front of `handler`, wired the three ways the middleware is used. */
const kinds = {
  'node:http with next': (pressure: Pressure, handler: Handler) => {
    const shed = pressure.shed.middleware({ priority: (req) => priorityOfUrl(req.url), retryAfter: 5 })
    return http.createServer((req, res) => shed(req, res, () => handler(req, res)))
  },
  'node:http awaiting the promise': (pressure: Pressure, handler: Handler) => {
    const shed = pressure.shed.middleware({ priority: (req) => priorityOfUrl(req.url), retryAfter: 5 })
    return http.createServer(async (req, res) => {
      if (await shed(req, res)) handler(req, res)
    })
  },
  'Express 5': (pressure: Pressure, handler: Handler) => {
    const app = express()
    app.use(pressure.shed.middleware<Request>({ priority: (req) => priorityOfUrl(req.path), retryAfter: 5 }))
    app.use((req, res) => handler(req, res))
    return http.createServer(app)
  },
}

const servers: http.Server[] = []
const controllers: Pressure[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close))
  for (const c of controllers.splice(0)) c.close()
})

async function start(kind: keyof typeof kinds, handler: Handler, shed?: ShedOptions) {
  const pressure = manualController(shed)
  controllers.push(pressure)
  const server = kinds[kind](pressure, handler)
  servers.push(server)
  // Counted before the shedding runs for the same request (listeners run in order), and a
  // promise resolved here settles only after the whole 'request' emit: by then it is decided.
  const arrivals: Deferred[] = []
  const responses: ServerResponse[] = []
  let arrived = 0
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    responses.push(res)
    arrivals[arrived++]?.resolve()
  })
  const base = await listen(server)
  const arrival = (n: number) => {
    if (arrived >= n) return Promise.resolve()
    return (arrivals[n - 1] ??= deferred()).promise
  }
  return { pressure, base, arrival, responses }
}

const admittedByDefault: Record<Level, Priority[]> = {
  normal: ['critical', 'high', 'normal', 'low'],
  warning: ['critical', 'high', 'normal', 'low'],
  critical: ['critical', 'high', 'normal'],
  emergency: ['critical'],
}

describe.each(Object.keys(kinds) as (keyof typeof kinds)[])('%s', (kind) => {
  it('answers each priority at each forced level: 200, or 503 with Retry-After and a JSON body', async () => {
    const { pressure, base } = await start(kind, ok)
    for (const level of LEVELS) {
      pressure.force(level)
      for (const priority of PRIORITIES) {
        const answer = await get(`${base}/${priority}/thing`)
        if (admittedByDefault[level].includes(priority)) {
          expect({ level, priority, status: answer.status, body: answer.body }).toEqual({
            level,
            priority,
            status: 200,
            body: 'ok',
          })
        } else {
          expect({ level, priority, status: answer.status }).toEqual({ level, priority, status: 503 })
          expect(answer.headers['retry-after']).toBe('5')
          expect(answer.headers['content-type']).toBe('application/json; charset=utf-8')
          expect(answer.headers['cache-control']).toBe('no-store')
          expect(JSON.parse(answer.body)).toEqual({ error: 'Service Unavailable', level, retryAfter: 5 })
        }
      }
    }
    const stats = pressure.shed.stats()
    expect(stats.refused).toEqual({ critical: 0, high: 1, normal: 1, low: 2 })
    expect(stats.inFlight).toBe(0)
  })

  it('holds the concurrency limit with slow handlers and starts the waiters as slots free', async () => {
    const gates = new Map<string, Deferred>()
    const gateFor = (url: string) => gates.get(url) ?? gates.set(url, deferred()).get(url)!
    let active = 0
    let maxActive = 0
    const entered: string[] = []
    const handler: Handler = (req, res) => {
      active++
      maxActive = Math.max(maxActive, active)
      entered.push(req.url!)
      void gateFor(req.url!).promise.then(() => {
        active--
        res.end(req.url)
      })
    }
    const { pressure, base, arrival } = await start(kind, handler, { concurrency: { critical: 2 } })
    pressure.force('critical')
    const urls = ['/a', '/b', '/c', '/d']
    const answers = urls.map((url) => get(`${base}${url}`))
    await arrival(4)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 2, queued: 2, limit: 2 })
    expect(entered).toHaveLength(2)
    const first = entered[0]!
    gateFor(first).resolve()
    await answers[urls.indexOf(first)]
    // The freed slot went to a waiter at once; still two at work, one waiting.
    expect(entered).toHaveLength(3)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 2, queued: 1 })
    for (const url of urls) gateFor(url).resolve()
    const all = await Promise.all(answers)
    expect(all.map((a) => [a.status, a.body])).toEqual(urls.map((url) => [200, url]))
    expect(maxActive).toBe(2)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 4 })
  })

  it('answers 503 at once when the queue is full, and serves the queued request later', async () => {
    const gate = deferred()
    const handler: Handler = (_req, res) => void gate.promise.then(() => res.end('done'))
    const { pressure, base, arrival } = await start(kind, handler, { concurrency: { critical: 1 }, queue: { size: 1 } })
    pressure.force('critical')
    const running = get(`${base}/one`)
    await arrival(1)
    const queued = get(`${base}/two`)
    await arrival(2)
    const refused = await get(`${base}/three`)
    expect(refused.status).toBe(503)
    expect(JSON.parse(refused.body)).toEqual({ error: 'Service Unavailable', level: 'critical', retryAfter: 5 })
    gate.resolve()
    expect((await running).status).toBe(200)
    expect((await queued).status).toBe(200)
    expect(pressure.shed.stats().refusedByReason['queue-full']).toBe(1)
  })

  it('answers 503 when the wait in the queue runs out', async () => {
    const gate = deferred()
    const handler: Handler = (_req, res) => void gate.promise.then(() => res.end('done'))
    const { pressure, base, arrival } = await start(kind, handler, {
      concurrency: { critical: 1 },
      queue: { timeoutMs: 20 },
    })
    pressure.force('critical')
    const running = get(`${base}/one`)
    await arrival(1)
    const late = await get(`${base}/two`) // waits for the 20 ms timeout, whatever the machine's speed
    expect(late.status).toBe(503)
    expect(late.headers['retry-after']).toBe('5')
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 1, queued: 0, refusedByReason: { 'queue-timeout': 1 } })
    gate.resolve()
    expect((await running).status).toBe(200)
  })

  it('frees the slot of a client that goes away, running or waiting', async () => {
    const handler: Handler = () => {
      // never answers: only the client leaving ends this request
    }
    const { pressure, base, arrival, responses } = await start(kind, handler, { concurrency: { critical: 1 } })
    pressure.force('critical')
    const running = abortableGet(`${base}/running`)
    await arrival(1)
    const waiting = abortableGet(`${base}/waiting`)
    await arrival(2)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 1, queued: 1 })

    // The shedder's 'close' listener was added before these, so it has run when they resolve.
    // The waiting client leaves first: it leaves the queue and never reaches the handler.
    waiting.abort()
    await once(responses[1]!, 'close')
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 1, queued: 0 })

    running.abort()
    await once(responses[0]!, 'close')
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 1 })
  })

  it('answers every request, admitted or refused (send N, receive N)', async () => {
    const handler: Handler = (_req, res) => void setImmediate(() => res.end('ok'))
    const { pressure, base } = await start(kind, handler, { concurrency: { critical: 3 }, queue: { size: 5 } })
    pressure.force('critical')
    const paths = Array.from({ length: 60 }, (_, i) => `/${PRIORITIES[i % 4]}/${i}`)
    const answers = await Promise.all(paths.map((p) => get(`${base}${p}`)))
    expect(answers).toHaveLength(60)
    const statuses = answers.map((a) => a.status)
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true)
    // Critical requests are never refused; low ones always are at 'critical'.
    answers.forEach((a, i) => {
      if (PRIORITIES[i % 4] === 'critical') expect(a.status).toBe(200)
      if (PRIORITIES[i % 4] === 'low') expect(a.status).toBe(503)
    })
    const stats = pressure.shed.stats()
    const refused = Object.values(stats.refused).reduce((a, b) => a + b, 0)
    expect(stats.admitted + refused).toBe(60)
    expect(statuses.filter((s) => s === 200)).toHaveLength(stats.admitted)
    expect(stats).toMatchObject({ inFlight: 0, queued: 0 })
  })
})

describe('node:http and Express details', () => {
  it('marks a health route critical with Express route info', async () => {
    const pressure = manualController()
    controllers.push(pressure)
    const app = express()
    app.use(pressure.shed.middleware<Request>({ priority: (req) => (req.path === '/health' ? 'critical' : 'normal') }))
    app.get('/health', (_req, res) => void res.json({ level: pressure.level }))
    app.get('/work', (_req, res) => void res.send('work'))
    const server = http.createServer(app)
    servers.push(server)
    const base = await listen(server)
    pressure.force('emergency')
    const health = await get(`${base}/health`)
    expect(health.status).toBe(200)
    expect(JSON.parse(health.body)).toEqual({ level: 'emergency' })
    const work = await get(`${base}/work`)
    expect(work.status).toBe(503)
    expect(work.headers['retry-after']).toBe('10') // the controller's default
  })

  it('treats a request as normal and reports when the priority function throws or returns junk', async () => {
    const pressure = manualController()
    controllers.push(pressure)
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    const shed = pressure.shed.middleware({
      priority: (req) => {
        if (req.url === '/throw') throw new Error('priority broke')
        return 'urgent' as Priority
      },
    })
    const server = http.createServer((req, res) => shed(req, res, () => res.end('ok')))
    servers.push(server)
    const base = await listen(server)
    pressure.force('critical') // normal is admitted, low would not be
    expect((await get(`${base}/throw`)).status).toBe(200)
    expect((await get(`${base}/junk`)).status).toBe(200)
    pressure.force('emergency')
    expect((await get(`${base}/throw`)).status).toBe(503)
    expect(errors.map((e) => e.message)).toEqual([
      'priority broke',
      "shed.middleware: option `priority` must return one of 'critical', 'high', 'normal', 'low', got \"urgent\" (string); treated as 'normal'",
      'priority broke',
    ])
  })

  it('emits a refused event per 503, for metrics', async () => {
    const { pressure, base } = await start('node:http with next', ok)
    const seen: unknown[] = []
    pressure.shed.on('refused', (e) => seen.push(e))
    pressure.force('emergency')
    await get(`${base}/low/x`)
    await get(`${base}/high/x`)
    await get(`${base}/critical/x`)
    expect(seen).toEqual([
      { priority: 'low', level: 'emergency', reason: 'level', retryAfter: 5 },
      { priority: 'high', level: 'emergency', reason: 'level', retryAfter: 5 },
    ])
  })
})
