import { dashboardHandler } from 'heapguard/web'
import { pressure } from '@/lib/pressure'

export const dynamic = 'force-dynamic'

// The live dashboard (page, ?format=json, ?stream=1), only when a token is configured.
const token = process.env.HEAPGUARD_TOKEN
const dashboard = token === undefined ? undefined : dashboardHandler(pressure, { token })

export function GET(request: Request): Response {
  return dashboard?.(request) ?? new Response('set HEAPGUARD_TOKEN to enable the dashboard\n', { status: 404 })
}
