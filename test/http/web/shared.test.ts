import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Controller } from '../../../src/index.js'

const SLOT = Symbol.for('heapguard.controller')
const fake = () => ({ name: 'fake', read: () => ({ used: 0, limit: 1 }) })
const req = () => new Request('http://localhost/')

function clearSlot(): void {
  const slot = (globalThis as Record<symbol, { controller: Controller } | undefined>)[SLOT]
  slot?.controller.close()
  delete (globalThis as Record<symbol, unknown>)[SLOT]
}

/** A fresh copy of the modules, as a separate bundle (Next.js compiles each route and instrumentation.ts apart). */
async function freshCopy() {
  vi.resetModules()
  const index = await import('../../../src/index.js')
  const web = await import('../../../src/web.js')
  return { ...index, ...web }
}

afterEach(() => {
  clearSlot()
  vi.resetModules()
})

describe('withPressure without `pressure`: the shared controller', () => {
  it('uses the controller another copy of heapguard built with sharedController(options)', async () => {
    const instrumentation = await freshCopy()
    const route = await freshCopy()
    expect(route.withPressure).not.toBe(instrumentation.withPressure)
    expect(route.Controller).not.toBe(instrumentation.Controller)

    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const pressure = instrumentation.sharedController({ autoStart: false, sources: [fake()], shed: { retryAfter: 7 } })
    const GET = route.withPressure(() => Response.json({ ok: true }), { priority: 'low' })
    expect((await GET(req())).status).toBe(200)
    expect(pressure.shed.stats().admitted).toBe(1)
    pressure.force('critical')
    const refused = await GET(req())
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('7')
    expect(pressure.shed.stats().refused.low).toBe(1)
    // Taking the shared controller never warns about options.
    expect(warn).not.toHaveBeenCalled()
    warn.mockRestore()
  })

  it('looks it up at the first request, not when the handler is wrapped', async () => {
    const copy = await freshCopy()
    const GET = copy.withPressure(() => new Response('ok'))
    // instrumentation.ts registers after the route module was loaded
    const pressure = copy.sharedController({ autoStart: false, sources: [fake()] })
    await GET(req())
    expect(pressure.shed.stats().admitted).toBe(1)
  })

  it('follows a closed shared controller to the one that replaces it', async () => {
    const copy = await freshCopy()
    const first = copy.sharedController({ autoStart: false, sources: [fake()] })
    const GET = copy.withPressure(() => new Response('ok'))
    await GET(req())
    first.close()
    const second = copy.sharedController({ autoStart: false, sources: [fake()] })
    await GET(req())
    expect(second).not.toBe(first)
    expect(second.shed.stats().admitted).toBe(1)
  })

  it('builds one with the defaults when nobody built one', async () => {
    const copy = await freshCopy()
    await copy.withPressure(() => new Response('ok'))(req())
    const slot = (globalThis as Record<symbol, { controller: Controller } | undefined>)[SLOT]
    expect(slot?.controller.closed).toBe(false)
    expect(slot!.controller.shed.stats().admitted).toBe(1)
  })
})

describe('withPressure with a controller of another copy', () => {
  it('serves it through its public API', async () => {
    const a = await freshCopy()
    const b = await freshCopy()
    const pressure = a.createController({ autoStart: false, sources: [fake()], shed: { concurrency: { normal: 1 } } })
    try {
      const GET = b.withPressure(() => new Response(new ReadableStream({ pull() {} })), { pressure })
      const r = await GET(req())
      // limits are read through the public `shed.limits`: the streamed body holds the slot
      expect(pressure.shed.stats().inFlight).toBe(1)
      await r.body!.cancel()
      expect(pressure.shed.stats().inFlight).toBe(0)
    } finally {
      pressure.close()
    }
  })
})
