import { dashboardHandler, type WebDashboardHandler } from 'heapguard/web'
import { pressure } from '@/lib/pressure'

export const dynamic = 'force-dynamic'

// The live dashboard (page, ?format=json, ?stream=1), as docs/nextjs.md shows it: made at the
// first request, not when the module loads, because `next build` evaluates this module and the
// build's environment need not hold the secret (the end-to-end test builds without it).
let dashboard: WebDashboardHandler | undefined

export function GET(request: Request): Response {
  const token = process.env.HEAPGUARD_TOKEN
  if (token === undefined) {
    return new Response('heapguard dashboard: set HEAPGUARD_TOKEN to a random secret of 16 characters or more\n', {
      status: 503,
    })
  }
  dashboard ??= dashboardHandler(pressure, { token })
  return dashboard(request)
}
