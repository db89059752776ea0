/**
 * `heapguard/http`: plain node:http handlers (they also fit Connect, Express and Fastify's
 * `reply.raw`): a readiness probe and a token-protected live dashboard.
 */
export { healthHandler, type HealthOptions } from './observe/health.js'
export { dashboardHandler, type DashboardOptions, type DashboardHandler } from './observe/dashboard/handler.js'
export type { RequestHandler } from './observe/respond.js'
export type { DashboardState, ChartPoint, SourceState, LeaksState } from './observe/dashboard/state.js'
export type { DashboardMessage } from './observe/dashboard/stream.js'
export type { ObservedController } from './observe/observed.js'
