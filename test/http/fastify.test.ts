import { once } from 'node:events'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import heapguardFastifyDefault, { heapguardFastify } from '../../src/fastify.js'
import { LEVELS, PRIORITIES, type Level, type Priority, type ShedOptions } from '../../src/index.js'
import { type Deferred, deferred } from '../support/deferred.js'
import { manualController } from '../support/drive.js'
import { abortableGet, get } from '../support/http.js'

type Pressure = ReturnType<typeof manualController>

const priorityOfUrl = (url: string): Priority => {
  const first = url.split('/')[1] ?? ''
  return (PRIORITIES as readonly string[]).includes(first) ? (first as Priority) : 'normal'
}

const apps: FastifyInstance[] = []
const controllers: Pressure[] = []
/** Gates still closed when a test fails would keep app.close() waiting: open them first. */
const openGates: Deferred[] = []
afterEach(async () => {
  for (const gate of openGates.splice(0)) gate.resolve()
  await Promise.all(apps.splice(0).map((app) => app.close()))
  for (const c of controllers.splice(0)) c.close()
})

/** A Fastify app with the plugin in front of `/*`; `handler` decides when each request ends. */
async function start(handler: (url: string, reply: FastifyReply) => unknown, shed?: ShedOptions, retryAfter?: number) {
  const pressure = manualController(shed)
  controllers.push(pressure)
  const app = Fastify({ logger: false })
  apps.push(app)
  await app.register(heapguardFastify, {
    pressure,
    priority: (req) => priorityOfUrl(req.url),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  })
  app.get('/*', (req, reply) => handler(req.url, reply))
  await app.ready()
  return { pressure, app }
}

const admittedByDefault: Record<Level, Priority[]> = {
  normal: ['critical', 'high', 'normal', 'low'],
  warning: ['critical', 'high', 'normal', 'low'],
  critical: ['critical', 'high', 'normal'],
  emergency: ['critical'],
}

describe('heapguard/fastify', () => {
  it('exports the plugin as default and named, marked the way fastify-plugin marks plugins', () => {
    expect(heapguardFastifyDefault).toBe(heapguardFastify)
    const marks = heapguardFastify as unknown as Record<symbol, unknown>
    expect(marks[Symbol.for('skip-override')]).toBe(true)
    expect(marks[Symbol.for('fastify.display-name')]).toBe('heapguard')
    expect(marks[Symbol.for('plugin-meta')]).toEqual({ name: 'heapguard', fastify: '4.x || 5.x' })
  })

  it('answers each priority at each forced level: 200, or 503 with Retry-After and a JSON body', async () => {
    const { pressure, app } = await start((url) => ({ url }), undefined, 7)
    for (const level of LEVELS) {
      pressure.force(level)
      for (const priority of PRIORITIES) {
        const res = await app.inject({ method: 'GET', url: `/${priority}/x` })
        if (admittedByDefault[level].includes(priority)) {
          expect({ level, priority, status: res.statusCode }).toEqual({ level, priority, status: 200 })
          expect(res.json()).toEqual({ url: `/${priority}/x` })
        } else {
          expect({ level, priority, status: res.statusCode }).toEqual({ level, priority, status: 503 })
          expect(res.headers['retry-after']).toBe('7')
          expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
          expect(res.json()).toEqual({ error: 'Service Unavailable', level, retryAfter: 7 })
        }
      }
    }
    // inject()'s response closes on the next tick; by the time the next inject resolves, all are given back.
    await app.inject({ method: 'GET', url: '/critical/last' })
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, refused: { critical: 0, high: 1, normal: 1, low: 2 } })
  })

  it('applies app-wide, also to routes of encapsulated child plugins, and lets a health route through as critical', async () => {
    const pressure = manualController()
    controllers.push(pressure)
    const app = Fastify({ logger: false })
    apps.push(app)
    await app.register(heapguardFastify, {
      pressure,
      priority: (req) => (req.routeOptions.url === '/health' ? 'critical' : 'normal'),
    })
    await app.register(async (child) => {
      child.get('/child', async () => 'child')
    })
    app.get('/health', async () => ({ level: pressure.level }))
    pressure.force('emergency')
    expect((await app.inject('/child')).statusCode).toBe(503)
    const health = await app.inject('/health')
    expect(health.statusCode).toBe(200)
    expect(health.json()).toEqual({ level: 'emergency' })
    expect((await app.inject('/missing')).statusCode).toBe(503)
  })

  it("treats a request as normal when a priority function (the plugin's or a route's) throws or returns junk, and reports it", async () => {
    const pressure = manualController()
    controllers.push(pressure)
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    const app = Fastify({ logger: false })
    apps.push(app)
    await app.register(heapguardFastify, {
      pressure,
      priority: () => {
        throw new Error('priority broke')
      },
    })
    app.get('/plugin', async () => 'ok')
    app.get('/route', { config: { heapguard: { priority: () => 'urgent' as Priority } } }, async () => 'ok')
    pressure.force('critical') // normal is admitted, low would not be
    expect((await app.inject('/plugin')).statusCode).toBe(200)
    expect((await app.inject('/route')).statusCode).toBe(200)
    pressure.force('emergency')
    expect((await app.inject('/plugin')).statusCode).toBe(503)
    expect(errors.map((e) => e.message)).toEqual([
      'priority broke',
      "heapguardFastify: option `priority` must return one of 'critical', 'high', 'normal', 'low', got \"urgent\" (string); treated as 'normal'",
      'priority broke',
    ])
  })

  // inject() does not promise to dispatch in call order, so these tests wait for events, not order.
  it('holds the concurrency limit, queues, and refuses when the queue is full', async () => {
    const gates = new Map<string, Deferred>()
    const gateFor = (url: string) => {
      if (!gates.has(url)) openGates.push(gates.set(url, deferred()).get(url)!)
      return gates.get(url)!
    }
    const entered: string[] = []
    const twoEntered = deferred()
    const { pressure, app } = await start(
      async (url) => {
        if (entered.push(url) === 2) twoEntered.resolve()
        await gateFor(url).promise
        return url
      },
      { concurrency: { critical: 2 }, queue: { size: 1 } },
    )
    pressure.force('critical')
    const refusal = new Promise((resolve) => pressure.shed.once('refused', resolve))
    const urls = ['/a', '/b', '/c', '/d']
    const answers = urls.map((url) => app.inject(url))
    expect(await refusal).toMatchObject({ reason: 'queue-full', level: 'critical' })
    await twoEntered.promise
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 2, queued: 1, limit: 2 })
    expect(entered).toHaveLength(2)
    gateFor(entered[0]!).resolve()
    await answers[urls.indexOf(entered[0]!)]
    await new Promise((resolve) => setImmediate(resolve)) // the response's 'close' comes a tick after its end
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 2, queued: 0 }) // the waiter took the freed slot
    for (const url of urls) gateFor(url).resolve()
    const all = await Promise.all(answers)
    expect(all.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 503])
    const refused = all.find((r) => r.statusCode === 503)!
    expect(refused.json()).toEqual({ error: 'Service Unavailable', level: 'critical', retryAfter: 10 })
    all.filter((r) => r.statusCode === 200).forEach((r) => expect(urls).toContain(r.body))
    gateFor('/critical/flush').resolve()
    await app.inject('/critical/flush') // past the 'close' of the others
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 4 })
  })

  it('answers 503 when the wait in the queue runs out', async () => {
    const gate = deferred()
    openGates.push(gate)
    const { pressure, app } = await start(
      async () => {
        await gate.promise
        return 'done'
      },
      { concurrency: { critical: 1 }, queue: { timeoutMs: 20 } },
    )
    pressure.force('critical')
    const timedOut = new Promise((resolve) => pressure.shed.once('refused', resolve))
    const answers = [app.inject('/one'), app.inject('/two')]
    expect(await timedOut).toMatchObject({ reason: 'queue-timeout' })
    gate.resolve()
    expect((await Promise.all(answers)).map((r) => r.statusCode).sort()).toEqual([200, 503])
    expect(pressure.shed.stats().refusedByReason['queue-timeout']).toBe(1)
  })

  it('on a real socket: frees the slots of clients that go away, and answers every request', async () => {
    const { pressure, app } = await start(
      (url, reply) => {
        if (url.startsWith('/hang')) return reply // never answered: only the client leaving ends it
        return new Promise((resolve) => setImmediate(() => resolve('ok')))
      },
      { concurrency: { critical: 1 }, queue: { size: 10 } },
    )
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    const closes: Promise<unknown>[] = []
    const bothArrived = deferred()
    // Runs before Fastify's own listener; the promise settles after the whole emit, hook included.
    app.server.prependListener('request', (_req, res) => {
      if (closes.push(once(res, 'close')) === 2) bothArrived.resolve()
    })
    pressure.force('critical')

    const hanging = abortableGet(`${base}/hang/running`)
    const waiting = abortableGet(`${base}/hang/waiting`)
    await bothArrived.promise
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 1, queued: 1 })
    waiting.abort()
    hanging.abort()
    await Promise.all(closes)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, queued: 0 })

    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`${base}/${PRIORITIES[i % 4]}/${i}`)))
    expect(answers).toHaveLength(40)
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true)
    answers.forEach((a, i) => {
      if (PRIORITIES[i % 4] === 'critical') expect(a.status).toBe(200)
      if (PRIORITIES[i % 4] === 'low') expect(a.status).toBe(503)
    })
    await Promise.all(closes)
    const stats = pressure.shed.stats()
    expect(stats.admitted + Object.values(stats.refused).reduce((x, y) => x + y, 0)).toBe(40 + 2)
    expect(stats).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it.each([
    [
      'no options',
      undefined,
      TypeError,
      'heapguardFastify: option `pressure` must be the controller from createController(), got undefined',
    ],
    [
      'a wrong pressure',
      { pressure: {} },
      TypeError,
      'heapguardFastify: option `pressure` must be the controller from createController(), got an object',
    ],
    [
      'an unknown key',
      { pressure: 'later', priorty: () => 'low' },
      TypeError,
      'heapguardFastify: unknown option `priorty`',
    ],
    [
      'a non-function priority',
      { priority: 'critical' },
      TypeError,
      'heapguardFastify: option `priority` must be a function, got "critical" (string)',
    ],
    [
      'a bad retryAfter',
      { retryAfter: -3 },
      RangeError,
      'heapguardFastify: option `retryAfter` must be an integer >= 0, got -3 (number)',
    ],
  ])('refuses to register with %s', async (_name, options, type, message) => {
    const pressure = manualController()
    controllers.push(pressure)
    const app = Fastify({ logger: false })
    apps.push(app)
    const opts = options === undefined ? undefined : { pressure, ...options }
    app.register(heapguardFastify, opts as never)
    const error = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(type)
    expect((error as Error).message).toContain(message)
  })
})
