// The gate in front of page renders. A page render is not a route handler that withPressure can
// wrap, so the proxy asks the admission table before the render starts. It runs on the Node.js
// runtime (Next.js 16) in the same process as the routes, and sharedController() gives it their
// controller.
import { NextResponse, type NextRequest } from 'next/server'
import { sharedController } from 'heapguard'

export function proxy(_request: NextRequest) {
  const pressure = sharedController()
  if (!pressure.shed.admit('normal')) {
    return new NextResponse('<h1>Busy</h1><p>Please try again in a few seconds.</p>', {
      status: 503,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'retry-after': String(pressure.shed.retryAfter),
        'cache-control': 'no-store',
      },
    })
  }
  // Tell the page (and the test) what the proxy saw: its level, and whether the cache that only
  // instrumentation.ts registers is on its controller.
  const forwarded = new Headers(_request.headers)
  forwarded.set('x-heapguard-level', pressure.level)
  const response = NextResponse.next({ request: { headers: forwarded } })
  response.headers.set('x-heapguard-level', pressure.level)
  response.headers.set('x-heapguard-shared', String(pressure.caches.get('sessions') !== undefined))
  return response
}

export const config = { matcher: ['/'] }
