/**
 * `heapguard/http`: plain node:http handlers (they also fit Connect, Express and Fastify's
 * `reply.raw`): a readiness probe and a token-protected live dashboard.
 */
export { healthHandler } from './http/node/health.js'
export type { HealthOptions } from './observe/health.js'
export { dashboardHandler, type DashboardOptions, type DashboardHandler } from './http/node/dashboard.js'
export type { RequestHandler } from './http/node/respond.js'
export type { DashboardState, ChartPoint, SourceState, LeaksState } from './observe/dashboard/state.js'
export type { DashboardMessage } from './observe/dashboard/stream.js'
export type { ObservedController } from './deprecated.js'
export { sendRefusal, shedErrorHandler, type ShedErrorHandler } from './http/node/refusals.js'
