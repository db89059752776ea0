/**
 * `heapguard/prometheus`: the controller's state as Prometheus metrics on a prom-client registry.
 * prom-client is an optional peer dependency; only this entry imports it.
 */
export { collectMetrics, type CollectMetricsOptions, type CollectedMetrics } from './observe/metrics/prom-client.js'
export type { ObservedController } from './observe/observed.js'
