import { createServer, type RequestListener, type Server } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { createController, type Controller } from '../../src/index.js'
import { healthHandler as nodeHealthHandler, type HealthOptions } from '../../src/http.js'
import { healthHandler as webHealthHandler } from '../../src/web.js'
import { close, get, listen } from '../support/http.js'
import { bytesSource } from '../support/sources.js'

const cleanup: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** The node handler, and the Web one behind @hono/node-server's adapter: the same answers from both. */
const KINDS = {
  node: (pressure: Controller, options?: HealthOptions): RequestListener => {
    const health = nodeHealthHandler(pressure, options)
    return (req, res) => health(req, res)
  },
  web: (pressure: Controller, options?: HealthOptions): RequestListener =>
    getRequestListener(webHealthHandler(pressure, options)),
}
type Kind = keyof typeof KINDS

async function serve(
  options?: HealthOptions,
  kind: Kind = 'node',
): Promise<{ pressure: Controller; heap: ReturnType<typeof bytesSource>; url: string }> {
  const heap = bytesSource('heap', 0, 1000)
  const pressure = createController({ autoStart: false, sources: [heap], logger: {} })
  const server: Server = createServer(KINDS[kind](pressure, options))
  const url = `${await listen(server)}/ready`
  cleanup.push(
    () => pressure.close(),
    () => close(server),
  )
  return { pressure, heap, url }
}

describe.each(Object.keys(KINDS) as Kind[])('healthHandler (%s)', (kind) => {
  it('answers 200 with { level, ratio } below emergency, never cached', async () => {
    const { pressure, heap, url } = await serve(undefined, kind)
    heap.used = 500
    pressure.sample()
    const r = await get(url)
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^application\/json/)
    expect(r.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(r.body)).toEqual({ level: 'normal', ratio: 0.5 })

    heap.used = 900 // critical is still ready by default
    pressure.sample()
    const critical = await get(url)
    expect(critical.status).toBe(200)
    expect(JSON.parse(critical.body)).toEqual({ level: 'critical', ratio: 0.9 })
  })

  it('answers 503 at emergency, and 200 again once the level is back down', async () => {
    const { pressure, heap, url } = await serve(undefined, kind)
    heap.used = 970
    pressure.sample()
    const r = await get(url)
    expect(r.status).toBe(503)
    expect(JSON.parse(r.body)).toEqual({ level: 'emergency', ratio: 0.97 })
    expect(r.headers['cache-control']).toBe('no-store')

    pressure.force('warning')
    expect((await get(url)).status).toBe(200)
  })

  it('in observe mode answers 200 at every level, saying so; enforce mode brings the 503 back at once', async () => {
    const { pressure, url } = await serve()
    pressure.mode = 'observe'
    pressure.force('emergency')
    const r = await get(url)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toEqual({ level: 'emergency', ratio: 0, mode: 'observe' })
    pressure.mode = 'enforce'
    const enforced = await get(url)
    expect(enforced.status).toBe(503)
    expect(JSON.parse(enforced.body)).toEqual({ level: 'emergency', ratio: 0 })
  })

  it('fails from the failAt level up', async () => {
    const { pressure, url } = await serve({ failAt: 'critical' }, kind)
    pressure.force('warning')
    expect((await get(url)).status).toBe(200)
    pressure.force('critical')
    expect((await get(url)).status).toBe(503)
    pressure.force('emergency')
    expect((await get(url)).status).toBe(503)
  })

  it('answers HEAD with the status and no body, and refuses other methods', async () => {
    const { pressure, url } = await serve(undefined, kind)
    pressure.force('emergency')
    const head = await get(url, { method: 'HEAD' })
    expect(head.status).toBe(503)
    expect(head.body).toBe('')
    const post = await get(url, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
  })

  it('rejects bad options at construction', () => {
    const pressure = createController({ autoStart: false, sources: [bytesSource()], logger: {} })
    cleanup.push(() => pressure.close())
    const healthHandler = kind === 'node' ? nodeHealthHandler : webHealthHandler
    // @ts-expect-error normal cannot be a failing level
    expect(() => healthHandler(pressure, { failAt: 'normal' })).toThrow(RangeError)
    // @ts-expect-error not a level
    expect(() => healthHandler(pressure, { failAt: 'panic' })).toThrow(
      /option `failAt` must be one of 'warning', 'critical', 'emergency', got "panic"/,
    )
    // @ts-expect-error unknown option
    expect(() => healthHandler(pressure, { failat: 'critical' })).toThrow(/unknown option `failat`/)
    // @ts-expect-error not a controller
    expect(() => healthHandler(null)).toThrow(TypeError)
  })
})
