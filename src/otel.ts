/**
 * `heapguard/otel`: the controller's state as OpenTelemetry observable instruments on your Meter,
 * the same metrics as `heapguard/prometheus`. `@opentelemetry/api` is an optional peer; this
 * entry only imports its types.
 */
export { collectMetrics, type CollectOtelMetricsOptions, type CollectedOtelMetrics } from './observe/metrics/otel.js'
export type { ObservedController } from './deprecated.js'
