import http from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { withPressure } from '../../../src/web.js'
import { createController, type Priority, type ShedOptions } from '../../../src/index.js'
import { deferred } from '../../support/deferred.js'
import { manualController } from '../../support/drive.js'
import { close, get, listen } from '../../support/http.js'

type Pressure = ReturnType<typeof manualController>

const controllers: Pressure[] = []
afterEach(() => {
  for (const c of controllers.splice(0)) c.close()
  vi.restoreAllMocks()
})

function controller(shed?: ShedOptions): Pressure & { errors: unknown[] } {
  const pressure = manualController(shed)
  controllers.push(pressure)
  const errors: unknown[] = []
  pressure.on('error', (e) => errors.push(e))
  return Object.assign(pressure, { errors })
}

const req = (path = '/', init?: RequestInit) => new Request(`http://localhost${path}`, init)
const ok = () => Response.json({ ok: true })
const inFlight = (p: Pressure) => p.shed.stats().inFlight

/** A streamed body the test feeds chunk by chunk. */
function feedable() {
  let ctl!: ReadableStreamDefaultController<Uint8Array>
  const cancelled = deferred<unknown>()
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => void (ctl = c),
    cancel: (reason) => cancelled.resolve(reason),
  })
  const bytes = new TextEncoder()
  return {
    stream,
    cancelled: cancelled.promise,
    push: (text: string) => ctl.enqueue(bytes.encode(text)),
    end: () => ctl.close(),
    fail: (error: Error) => ctl.error(error),
  }
}

/** A limit at some level makes the slot follow the request (abort, streamed bodies). */
const LIMITED: ShedOptions = { concurrency: { normal: 1 }, queue: { size: 10, timeoutMs: 60_000 } }

describe('withPressure: admission', () => {
  it('passes the request and every extra argument through, and returns the handler’s Response as it is', async () => {
    const pressure = controller()
    const context = { params: Promise.resolve({ id: '42' }) }
    const seen: unknown[] = []
    const response = Response.json({ id: 42 })
    const GET = withPressure(
      async (request: Request, ctx: typeof context, extra: number) => {
        seen.push(request.url, await ctx.params, extra)
        return response
      },
      { pressure },
    )
    const r = await GET(req('/items/42'), context, 7)
    expect(r).toBe(response)
    expect(seen).toEqual(['http://localhost/items/42', { id: '42' }, 7])
    expect(pressure.shed.stats().admitted).toBe(1)
  })

  it('accepts handlers that answer synchronously', async () => {
    const pressure = controller()
    const GET = withPressure(() => new Response('sync'), { pressure })
    const r = await GET(req())
    expect(await r.text()).toBe('sync')
  })

  it('refuses low priority at critical with 503, Retry-After and the node middleware’s body; the handler does not run', async () => {
    const pressure = controller()
    const handler = vi.fn(ok)
    const GET = withPressure(handler, { pressure, priority: 'low' })
    pressure.force('critical')
    const r = await GET(req())
    expect(r.status).toBe(503)
    expect(r.headers.get('retry-after')).toBe('10')
    expect(r.headers.get('cache-control')).toBe('no-store')
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = await r.text()
    expect(JSON.parse(body)).toEqual({ error: 'Service Unavailable', level: 'critical', retryAfter: 10 })
    expect(handler).not.toHaveBeenCalled()
    expect(pressure.shed.stats().refused.low).toBe(1)

    // The same bytes as the node middleware sends.
    const shed = pressure.shed.middleware({ priority: () => 'low' })
    const server = http.createServer((q, s) => shed(q, s, () => s.end('admitted')))
    try {
      const node = await get(`${await listen(server)}/`)
      expect(node.status).toBe(503)
      expect(node.body).toBe(body)
      for (const name of ['retry-after', 'cache-control', 'content-type'])
        expect(node.headers[name]).toBe(r.headers.get(name))
    } finally {
      await close(server)
    }
  })

  it('admits normal work at critical and only critical work at emergency (the admission table)', async () => {
    const pressure = controller()
    const at = (priority: Priority) => withPressure(ok, { pressure, priority })
    pressure.force('critical')
    expect((await at('normal')(req())).status).toBe(200)
    pressure.force('emergency')
    expect((await at('high')(req())).status).toBe(503)
    expect((await at('critical')(req())).status).toBe(200)
  })

  it('takes the priority from a function of the request', async () => {
    const pressure = controller()
    const seen: string[] = []
    const GET = withPressure(ok, {
      pressure,
      priority: (request) => {
        seen.push(request.method)
        return new URL(request.url).pathname.startsWith('/reports') ? 'low' : 'critical'
      },
    })
    pressure.force('emergency')
    expect((await GET(req('/reports/1'))).status).toBe(503)
    expect((await GET(req('/health'))).status).toBe(200)
    expect(seen).toEqual(['GET', 'GET'])
  })

  it('sends its own retryAfter, or the controller’s', async () => {
    const pressure = controller({ retryAfter: 3 })
    pressure.force('emergency')
    expect((await withPressure(ok, { pressure })(req())).headers.get('retry-after')).toBe('3')
    const r = await withPressure(ok, { pressure, retryAfter: 60 })(req())
    expect(r.headers.get('retry-after')).toBe('60')
    expect(JSON.parse(await r.text()).retryAfter).toBe(60)
  })
})

describe('withPressure: the slot', () => {
  it('is held while the handler runs and given back when its Response is produced', async () => {
    const pressure = controller()
    const gate = deferred()
    const GET = withPressure(
      async () => {
        await gate.promise
        return ok()
      },
      { pressure },
    )
    const pending = GET(req())
    expect(inFlight(pressure)).toBe(1)
    gate.resolve()
    await pending
    expect(inFlight(pressure)).toBe(0)
  })

  it('without a concurrency limit, a streamed body does not hold it (nothing waits on the slot)', async () => {
    const pressure = controller()
    const body = feedable()
    const r = await withPressure(() => new Response(body.stream), { pressure })(req())
    expect(inFlight(pressure)).toBe(0)
    expect(r.body).toBe(body.stream)
  })

  it('with a concurrency limit, a streamed body holds it until the stream ends', async () => {
    const pressure = controller(LIMITED)
    const bodies: ReturnType<typeof feedable>[] = []
    const GET = withPressure(
      () => {
        const body = feedable()
        bodies.push(body)
        return new Response(body.stream, { status: 201, headers: { 'x-kind': 'export' } })
      },
      { pressure },
    )
    const r = await GET(req())
    const body = bodies[0]!
    expect(r.status).toBe(201)
    expect(r.headers.get('x-kind')).toBe('export')
    expect(inFlight(pressure)).toBe(1)
    // the next request waits for the slot
    const next = GET(req())
    expect(pressure.shed.stats().queued).toBe(1)
    const reader = r.body!.getReader()
    body.push('a,b\n')
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('a,b\n')
    expect(inFlight(pressure)).toBe(1)
    body.end()
    expect((await reader.read()).done).toBe(true)
    // the slot passed to the waiting request
    expect(pressure.shed.stats().queued).toBe(0)
    await next
    expect(bodies).toHaveLength(2)
    expect(inFlight(pressure)).toBe(1)
  })

  it('with a concurrency limit, a cancelled stream gives it back and cancels the handler’s stream', async () => {
    const pressure = controller(LIMITED)
    const body = feedable()
    const r = await withPressure(() => new Response(body.stream), { pressure })(req())
    expect(inFlight(pressure)).toBe(1)
    await r.body!.cancel('client gone')
    expect(inFlight(pressure)).toBe(0)
    expect(await body.cancelled).toBe('client gone')
  })

  it('with a concurrency limit, a stream that fails gives it back and passes the error on', async () => {
    const pressure = controller(LIMITED)
    const body = feedable()
    const r = await withPressure(() => new Response(body.stream), { pressure })(req())
    const reading = r.text()
    body.fail(new Error('db connection lost'))
    await expect(reading).rejects.toThrow('db connection lost')
    expect(inFlight(pressure)).toBe(0)
  })

  it('with a concurrency limit, bytes that exist in full (JSON, text, buffers), HEAD and empty bodies give it back at once', async () => {
    const pressure = controller(LIMITED)
    const answers: (() => Response)[] = [
      () => Response.json({ big: 'x'.repeat(10_000) }),
      () => new Response('text'),
      () => new Response(new Uint8Array(100)),
      () => new Response(new Blob(['blob'])),
      () => new Response(null, { status: 204 }),
    ]
    for (const answer of answers) {
      const response = answer()
      const r = await withPressure(() => response, { pressure })(req())
      expect(r).toBe(response)
      expect(inFlight(pressure)).toBe(0)
    }
    const streamed = feedable()
    const head = await withPressure(() => new Response(streamed.stream), { pressure })(req('/', { method: 'HEAD' }))
    expect(head.body).toBe(streamed.stream)
    expect(inFlight(pressure)).toBe(0)
  })

  it('is given back when the handler throws or rejects, and the error propagates unchanged, unreported', async () => {
    const pressure = controller(LIMITED)
    const thrown = new Error('sync boom')
    const rejected = new Error('async boom')
    await expect(
      withPressure(
        () => {
          throw thrown
        },
        { pressure },
      )(req()),
    ).rejects.toBe(thrown)
    expect(inFlight(pressure)).toBe(0)
    await expect(withPressure(() => Promise.reject(rejected), { pressure })(req())).rejects.toBe(rejected)
    expect(inFlight(pressure)).toBe(0)
    expect(pressure.errors).toEqual([])
  })

  it('a handler that returns something else than a Response: slot given back, reported, value passed on', async () => {
    const pressure = controller(LIMITED)
    const GET = withPressure(async () => ({ status: 'oops' }) as unknown as Response, { pressure })
    expect(await GET(req())).toEqual({ status: 'oops' })
    expect(inFlight(pressure)).toBe(0)
    expect(pressure.errors).toHaveLength(1)
    expect(String(pressure.errors[0])).toMatch(
      /TypeError: withPressure: the handler must return a Response, got an object; its slot was given back/,
    )
    expect(await withPressure(async () => undefined as unknown as Response, { pressure })(req())).toBeUndefined()
    expect(pressure.errors).toHaveLength(2)
  })
})

describe('withPressure: a broken priority function', () => {
  it('treats the request as normal and reports what it threw: admitted while normal is, refused at emergency', async () => {
    const pressure = controller()
    const failure = new Error('priority broke')
    const handler = vi.fn(ok)
    const GET = withPressure(handler, {
      pressure,
      priority: () => {
        throw failure
      },
    })
    pressure.force('critical') // normal is admitted, low would not be
    const r = await GET(req())
    expect(r.status).toBe(200)
    expect(handler).toHaveBeenCalledTimes(1)
    expect(pressure.errors).toEqual([failure])
    expect(inFlight(pressure)).toBe(0)
    pressure.force('emergency')
    const refused = await GET(req())
    expect(refused.status).toBe(503)
    expect(await refused.json()).toEqual({ error: 'Service Unavailable', level: 'emergency', retryAfter: 10 })
    expect(handler).toHaveBeenCalledTimes(1)
    expect(pressure.errors).toEqual([failure, failure])
  })

  it('treats the request as normal when it returns something that is not a priority, and says so', async () => {
    const pressure = controller()
    const GET = withPressure(ok, { pressure, priority: () => 'urgent' as Priority })
    expect((await GET(req())).status).toBe(200)
    expect(String(pressure.errors[0])).toMatch(
      /withPressure: option `priority` must return one of 'critical', 'high', 'normal', 'low', got "urgent" \(string\); treated as 'normal'/,
    )
  })
})

describe('withPressure: aborted requests', () => {
  it('waiting in the queue, an abort takes it out at once, answers 499, and the handler never runs', async () => {
    const pressure = controller(LIMITED)
    const gate = deferred()
    const handler = vi.fn(async () => {
      await gate.promise
      return ok()
    })
    const GET = withPressure(handler, { pressure })
    const first = GET(req())
    const client = new AbortController()
    const second = GET(req('/', { signal: client.signal }))
    expect(pressure.shed.stats().queued).toBe(1)
    client.abort()
    expect(pressure.shed.stats().queued).toBe(0)
    expect((await second).status).toBe(499)
    gate.resolve()
    await first
    expect(handler).toHaveBeenCalledTimes(1)
    expect(inFlight(pressure)).toBe(0)
  })

  it('with a concurrency limit, an abort while the handler runs gives the slot back at once', async () => {
    const pressure = controller(LIMITED)
    const gate = deferred()
    const client = new AbortController()
    const pending = withPressure(
      async () => {
        await gate.promise
        return ok()
      },
      { pressure },
    )(req('/', { signal: client.signal }))
    expect(inFlight(pressure)).toBe(1)
    client.abort()
    expect(inFlight(pressure)).toBe(0)
    gate.resolve()
    await pending
    // given back once: the count never goes below zero
    expect(inFlight(pressure)).toBe(0)
  })

  it('with a concurrency limit, an abort while a streamed body is sent gives the slot back at once', async () => {
    const pressure = controller(LIMITED)
    const client = new AbortController()
    const body = feedable()
    await withPressure(() => new Response(body.stream), { pressure })(req('/', { signal: client.signal }))
    expect(inFlight(pressure)).toBe(1)
    client.abort()
    expect(inFlight(pressure)).toBe(0)
  })

  it('with a concurrency limit, a request aborted before it arrives is answered 499 without running', async () => {
    const pressure = controller(LIMITED)
    const handler = vi.fn(ok)
    const r = await withPressure(handler, { pressure })(req('/', { signal: AbortSignal.abort() }))
    expect(r.status).toBe(499)
    expect(handler).not.toHaveBeenCalled()
    expect(pressure.shed.stats().admitted).toBe(0)
  })

  it('a request that waited past the queue timeout gets 503', async () => {
    vi.useFakeTimers()
    try {
      const pressure = controller({ concurrency: { normal: 1 }, queue: { size: 1, timeoutMs: 100 } })
      const gate = deferred()
      const GET = withPressure(
        async () => {
          await gate.promise
          return ok()
        },
        { pressure },
      )
      const first = GET(req())
      const second = GET(req())
      vi.advanceTimersByTime(150)
      const r = await second
      expect(r.status).toBe(503)
      expect(pressure.shed.stats().refusedByReason['queue-timeout']).toBe(1)
      gate.resolve()
      await first
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('withPressure: bytes (reservations)', () => {
  const MiB = 1024 * 1024
  /** A controller on a heap the test sets: 100 MiB limit, `used` bytes in use. */
  function heapController(used: number) {
    const heap = { name: 'heap', used, read: () => ({ used: heap.used, limit: 100 * MiB }) }
    const pressure = createController({ autoStart: false, sources: [heap], logger: {} })
    controllers.push(pressure)
    const errors: unknown[] = []
    pressure.on('error', (e) => errors.push(e))
    return { pressure, heap, errors }
  }

  it('holds the reservation for the life of the handler and releases it once the Response is produced', async () => {
    const { pressure } = heapController(10 * MiB)
    let during = -1
    const GET = withPressure(
      () => {
        during = pressure.reserved
        return Response.json({ ok: true })
      },
      { pressure, priority: 'low', bytes: 8 * MiB },
    )
    const r = await GET(req())
    expect(r.status).toBe(200)
    expect(during).toBe(8 * MiB)
    expect(pressure.reserved).toBe(0)
    expect(pressure.reservations.stats().granted.low).toBe(1)
  })

  it('refuses what does not fit before the handler runs: 503, Retry-After and the memory reason', async () => {
    const { pressure } = heapController(80 * MiB)
    const handler = vi.fn(ok)
    const GET = withPressure(handler, { pressure, priority: 'low', bytes: () => 20 * MiB, retryAfter: 7 })
    const r = await GET(req())
    expect(r.status).toBe(503)
    expect(r.headers.get('retry-after')).toBe('7')
    expect(await r.json()).toMatchObject({ error: 'Service Unavailable', retryAfter: 7 })
    expect(handler).not.toHaveBeenCalled()
    expect(inFlight(pressure)).toBe(0)
    expect(pressure.shed.stats().refusedByReason.memory).toBe(1)
  })

  it('holds a streamed body’s reservation until the stream ends, even without a concurrency limit', async () => {
    const { pressure } = heapController(10 * MiB)
    const body = feedable()
    const r = await withPressure(() => new Response(body.stream), { pressure, bytes: 4 * MiB })(req())
    const reader = r.body!.getReader()
    body.push('x')
    await reader.read()
    expect(pressure.reserved).toBe(4 * MiB)
    body.end()
    expect((await reader.read()).done).toBe(true)
    expect(pressure.reserved).toBe(0)
    expect(inFlight(pressure)).toBe(0)
  })

  it('releases slot and reservation once when the handler throws, and the error propagates unchanged', async () => {
    const { pressure } = heapController(10 * MiB)
    const boom = new Error('db down')
    const GET = withPressure(
      () => {
        throw boom
      },
      { pressure, bytes: 4 * MiB },
    )
    await expect(GET(req())).rejects.toBe(boom)
    expect(pressure.reserved).toBe(0)
    expect(inFlight(pressure)).toBe(0)
  })

  it('answers 500 (reported) when bytes(request) throws or returns garbage, and the handler does not run', async () => {
    const { pressure, errors } = heapController(10 * MiB)
    const handler = vi.fn(ok)
    const broken = withPressure(handler, {
      pressure,
      bytes: () => {
        throw new Error('no rows header')
      },
    })
    expect((await broken(req())).status).toBe(500)
    const garbage = withPressure(handler, { pressure, bytes: () => Number.NaN })
    expect((await garbage(req())).status).toBe(500)
    expect(handler).not.toHaveBeenCalled()
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'no rows header',
      expect.stringContaining('option `bytes` must return a finite number >= 0, got NaN'),
    ])
    expect(inFlight(pressure)).toBe(0)
    expect(pressure.reserved).toBe(0)
  })

  it('checks the option when built: a negative or non-number bytes is a named error', () => {
    expect(() => withPressure(ok, { bytes: -1 })).toThrow(
      /withPressure: option `bytes` must be a finite number >= 0, got -1/,
    )
    expect(() => withPressure(ok, { bytes: '8MB' as never })).toThrow(TypeError)
  })
})
