/**
 * `heapguard/web`: Web-standard (`Request → Response`) adapters, for Next.js route handlers and
 * anything else built on the Fetch API (Hono, Remix, SvelteKit endpoints, Bun.serve, Deno.serve):
 * load shedding around a handler, a readiness probe, the live dashboard and a Prometheus endpoint.
 */
export { withPressure, type WithPressureOptions } from './http/web/with-pressure.js'
export type { WebShedOptions } from './http/web/guard.js'
export { healthHandler } from './http/web/health.js'
export { dashboardHandler, type WebDashboardHandler } from './http/web/dashboard.js'
export { metricsHandler, type MetricsHandlerOptions } from './http/web/metrics.js'
export type { WebHandler } from './http/web/respond.js'
export type { HealthOptions } from './observe/health.js'
export type { DashboardOptions } from './observe/dashboard/dashboard.js'
export type { ObservedController } from './observe/observed.js'
export type { GuardTarget } from './http/target.js'
export type { Priority } from './degrade/shed/priority.js'
