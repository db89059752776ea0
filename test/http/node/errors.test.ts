// What happens when the request's own handler throws, behind the shedding middleware, and how
// slots are counted when no level limits concurrency (the allocation-free path).
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import express, { type NextFunction, type Request, type Response } from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import type { ShedOptions } from '../../../src/index.js'
import { type Deferred, deferred } from '../../support/deferred.js'
import { manualController } from '../../support/drive.js'
import { abortableGet, close, get, listen } from '../../support/http.js'

type Pressure = ReturnType<typeof manualController>

const servers: http.Server[] = []
const controllers: Pressure[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(close))
  for (const c of controllers.splice(0)) c.close()
})

function controller(shed?: ShedOptions) {
  const pressure = manualController(shed)
  controllers.push(pressure)
  const errors: Error[] = []
  pressure.on('error', (e) => errors.push(e))
  return { pressure, errors }
}

async function serve(server: http.Server) {
  servers.push(server)
  const responses: ServerResponse[] = []
  const arrivals: Deferred[] = []
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    arrivals[responses.length]?.resolve()
    responses.push(res)
  })
  const arrival = (n: number) => (responses.length >= n ? Promise.resolve() : (arrivals[n - 1] ??= deferred()).promise)
  return { base: await listen(server), responses, arrival }
}

const configs: [string, ShedOptions | undefined][] = [
  ['no concurrency limit', undefined],
  ['a concurrency limit not reached', { concurrency: { normal: 4 } }],
]

describe.each(configs)('a handler that throws at once, with %s', (_name, shed) => {
  it('node:http: the exception reaches the code that called the middleware, which answers; the slot is freed', async () => {
    const { pressure, errors } = controller(shed)
    const mw = pressure.shed.middleware()
    const boom = new Error('handler broke')
    const caught: unknown[] = []
    const { base, responses } = await serve(
      http.createServer((req, res) => {
        try {
          mw(req, res, () => {
            throw boom
          })
        } catch (error) {
          // what a node:http server (or a framework around it) does with a handler's exception
          caught.push(error)
          res.statusCode = 500
          res.end('handler failed')
        }
      }),
    )
    const answer = await get(`${base}/`)
    expect(answer).toMatchObject({ status: 500, body: 'handler failed' })
    expect(caught).toEqual([boom])
    expect(errors).toEqual([]) // not swallowed into 'error'
    if (!responses[0]!.closed) await once(responses[0]!, 'close')
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, admitted: 1 })
  })

  it('Express 5: the error reaches the error handler, the client gets its answer, the slot is freed', async () => {
    const { pressure, errors } = controller(shed)
    const app = express()
    app.use(pressure.shed.middleware<Request, Response>())
    app.get('/', () => {
      throw new Error('route broke')
    })
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).send(`handled: ${error.message}`)
    })
    const { base, responses } = await serve(http.createServer(app))
    expect(await get(`${base}/`)).toMatchObject({ status: 500, body: 'handled: route broke' })
    expect(errors).toEqual([])
    if (!responses[0]!.closed) await once(responses[0]!, 'close')
    expect(pressure.shed.stats().inFlight).toBe(0)
  })
})

describe('a handler that throws after waiting in the queue', () => {
  it('node:http: the error is reported, the client gets a 500 (never hangs), and the slot is freed', async () => {
    const { pressure, errors } = controller({ concurrency: { normal: 1 } })
    const mw = pressure.shed.middleware()
    const gate = deferred()
    const boom = new Error('late handler broke')
    const { base, responses, arrival } = await serve(
      http.createServer((req, res) => {
        mw(req, res, () => {
          if (req.url === '/first') void gate.promise.then(() => res.end('first'))
          else throw boom
        })
      }),
    )
    const first = get(`${base}/first`)
    await arrival(1)
    const second = get(`${base}/second`)
    await arrival(2)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 1, queued: 1 })
    gate.resolve()
    expect(await first).toMatchObject({ status: 200, body: 'first' })
    const late = await second
    expect(late.status).toBe(500)
    expect(JSON.parse(late.body)).toEqual({ error: 'Internal Server Error' })
    expect(errors).toEqual([boom])
    for (const res of responses) if (!res.closed) await once(res, 'close')
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 2 })
  })
})

describe('no level limits concurrency: admission without permits still counts every slot', () => {
  it('counts requests in flight until their responses close, finished or abandoned', async () => {
    const { pressure } = controller()
    const mw = pressure.shed.middleware()
    const gate = deferred()
    const { base, responses, arrival } = await serve(
      http.createServer((req, res) => {
        mw(req, res, () => {
          if (req.url !== '/hang') void gate.promise.then(() => res.end('ok'))
        })
      }),
    )
    const answers = [get(`${base}/a`), get(`${base}/b`), get(`${base}/c`)]
    const hanging = abortableGet(`${base}/hang`)
    await arrival(4)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 4, queued: 0, admitted: 4, limit: null })
    gate.resolve()
    expect((await Promise.all(answers)).map((a) => a.status)).toEqual([200, 200, 200])
    for (const res of responses.slice(0, 3)) if (!res.closed) await once(res, 'close')
    expect(pressure.shed.stats().inFlight).toBe(1)
    hanging.abort()
    if (!responses[3]!.closed) await once(responses[3]!, 'close')
    expect(pressure.shed.stats().inFlight).toBe(0)
    // refusals by the table still answer 503 and are counted
    pressure.force('emergency')
    expect((await get(`${base}/a`)).status).toBe(503)
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, admitted: 4, refused: { normal: 1 } })
  })
})
