/**
 * `heapguard/web`: Web-standard (`Request → Response`) adapters, for Next.js route handlers and
 * anything else built on the Fetch API (Hono, Remix, SvelteKit endpoints, Bun.serve, Deno.serve):
 * load shedding around a handler, a readiness probe, the live dashboard and a Prometheus endpoint.
 */
import { guardHandler, type WithPressureOptions } from './http/web/with-pressure.js'
import { sharedController } from './lifecycle/shared-controller.js'

/**
 * Load shedding for a Web handler (`Request → Response`): a Next.js route handler, a Hono or
 * SvelteKit endpoint, `Bun.serve` or `Deno.serve`. The wrapped handler has the handler's own
 * signature (Next.js's `{ params }` and any other argument are passed through). Without
 * `pressure`, the controller is `sharedController()`, looked up at the first request.
 *
 * - A refused request gets `503` with `Retry-After` and `{ error, level, retryAfter }`, the same
 *   answer as the node middleware gives; the handler does not run.
 * - An admitted request holds its slot until the handler's Response is produced; when the
 *   controller limits concurrency, a streamed body holds it until the stream ends or is
 *   cancelled, and an abort of `request.signal` gives it back at once.
 * - A handler that throws or rejects gives its slot back and the error reaches the framework
 *   unchanged, so its own error handling applies; except a `ShedError` (a refusal raised inside
 *   the handler: `pressure.reserve()`, `shed.run()`), answered with the same 503 as a refusal at
 *   the door.
 *
 * @throws TypeError when `handler` is not a function or an option has the wrong type;
 *   RangeError for an unknown priority or a bad `retryAfter`.
 */
export function withPressure<Req extends Request, Rest extends unknown[]>(
  handler: (request: Req, ...rest: Rest) => Response | PromiseLike<Response>,
  options?: WithPressureOptions<Req>,
): (request: Req, ...rest: Rest) => Promise<Response> {
  return guardHandler(handler, options, sharedController)
}

export type { WithPressureOptions }
export type { WebShedOptions } from './http/web/guard.js'
export { healthHandler } from './http/web/health.js'
export { dashboardHandler, type WebDashboardHandler } from './http/web/dashboard.js'
export { metricsHandler, type MetricsHandlerOptions } from './http/web/metrics.js'
export { refusalResponse, type WebHandler } from './http/web/respond.js'
export type { HealthOptions } from './observe/health.js'
export type { DashboardOptions } from './observe/dashboard/dashboard.js'
export type { ObservedController, GuardTarget } from './deprecated.js'
export type { Priority } from './degrade/shed/priority.js'
