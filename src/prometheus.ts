/**
 * `heapguard/prometheus`: the controller's state as Prometheus metrics on a prom-client registry.
 * prom-client is an optional peer dependency; only this entry imports it.
 */
export { collectMetrics, type CollectMetricsOptions, type CollectedMetrics } from './observe/metrics/prometheus.js'
export type { ObservedController } from './deprecated.js'
