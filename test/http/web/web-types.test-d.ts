import type { Context, MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { createController, type Priority } from '../../../src/index.js'
import { heapguardHono } from '../../../src/hono.js'
import { dashboardHandler, healthHandler, metricsHandler, withPressure } from '../../../src/web.js'

/** What Next.js passes: its own Request class, and a context whose `params` is a promise. */
declare class NextRequest extends Request {
  readonly nextUrl: URL
}
declare class NextResponse extends Response {
  readonly cookies: Map<string, string>
}
type RouteContext = { params: Promise<{ id: string }> }

describe('withPressure keeps the handler’s signature', () => {
  it('a plain Web handler', () => {
    const GET = withPressure(async (request: Request) => Response.json({ url: request.url }), { priority: 'low' })
    expectTypeOf(GET).toEqualTypeOf<(request: Request) => Promise<Response>>()
  })

  it('a Next.js route handler with its own request class and { params }', () => {
    const GET = withPressure(
      async (request: NextRequest, { params }: RouteContext): Promise<NextResponse> => {
        const { id } = await params
        void request.nextUrl
        return Response.json({ id }) as NextResponse
      },
      { priority: (request) => (request.nextUrl.pathname.startsWith('/reports') ? 'low' : 'normal') },
    )
    expectTypeOf(GET).parameters.toEqualTypeOf<[NextRequest, RouteContext]>()
    expectTypeOf(GET).returns.toEqualTypeOf<Promise<Response>>()
  })

  it('any number of extra arguments, and a synchronous handler', () => {
    const handler = (request: Request, env: { DB: string }, ctx: { waitUntil(p: Promise<unknown>): void }) =>
      new Response(`${request.method} ${env.DB}`, { headers: { 'x-wait': String(typeof ctx.waitUntil) } })
    expectTypeOf(withPressure(handler)).parameters.toEqualTypeOf<Parameters<typeof handler>>()
  })

  it('rejects a handler that does not return a Response, and options of the wrong type', () => {
    // @ts-expect-error the handler must return a Response
    withPressure(async () => 'text')
    // @ts-expect-error not a priority
    withPressure(async () => new Response(), { priority: 'urgent' })
    // @ts-expect-error the priority function is given the request and returns a priority
    withPressure(async () => new Response(), { priority: (request: Request) => request.url })
    // @ts-expect-error retryAfter is in seconds, a number
    withPressure(async () => new Response(), { retryAfter: '10' })
    // @ts-expect-error unknown keys are an error
    withPressure(async () => new Response(), { budget: 1 })
  })

  it('takes a controller as `pressure`', () => {
    const pressure = createController({ autoStart: false })
    withPressure(async () => new Response(), { pressure, priority: 'critical' satisfies Priority })
  })
})

describe('the Web handlers and the Hono middleware', () => {
  it('are Request → Response, and a Hono MiddlewareHandler', () => {
    const pressure = createController({ autoStart: false })
    expectTypeOf(healthHandler(pressure)).toMatchTypeOf<(request: Request) => Response>()
    expectTypeOf(metricsHandler(pressure, { prefix: 'app_' })).toMatchTypeOf<(request: Request) => Response>()
    const dashboard = dashboardHandler(pressure, { token: 'a-token-of-24-characters' })
    expectTypeOf(dashboard).toMatchTypeOf<(request: Request) => Response>()
    expectTypeOf(dashboard.connections).toEqualTypeOf<number>()
    expectTypeOf(heapguardHono({ pressure })).toEqualTypeOf<MiddlewareHandler>()
    heapguardHono({
      priority: (c) => {
        expectTypeOf(c).toEqualTypeOf<Context>()
        return c.req.path.startsWith('/reports') ? 'low' : 'normal'
      },
    })
  })
})
