import { withPressure } from 'heapguard/web'
import { LEVELS, type Level } from 'heapguard'
import { pressure } from '@/lib/pressure'

export const dynamic = 'force-dynamic'

// An operator's switch, for drills and for the end-to-end test: POST {"level":"critical"} holds a
// level, DELETE releases it. Off unless HEAPGUARD_EXAMPLE_ADMIN=1, and only with the dashboard token.
function allowed(request: Request): boolean {
  const token = process.env.HEAPGUARD_TOKEN
  return (
    process.env.HEAPGUARD_EXAMPLE_ADMIN === '1' &&
    token !== undefined &&
    request.headers.get('authorization') === `Bearer ${token}`
  )
}

const state = () =>
  Response.json({ level: pressure.level, measuredLevel: pressure.measuredLevel, forced: pressure.forced })

export const POST = withPressure(
  async (request: Request) => {
    if (!allowed(request)) return new Response(null, { status: 404 })
    const { level } = (await request.json()) as { level?: unknown }
    if (!LEVELS.includes(level as Level))
      return Response.json({ error: `level must be one of ${LEVELS.join(', ')}` }, { status: 400 })
    pressure.force(level as Level)
    return state()
  },
  { priority: 'critical' },
)

export const DELETE = withPressure(
  (request: Request) => {
    if (!allowed(request)) return new Response(null, { status: 404 })
    pressure.release()
    return state()
  },
  { priority: 'critical' },
)
