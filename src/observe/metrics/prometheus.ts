import { Counter, Gauge, type Registry } from 'prom-client'
import { checkOptions, describe } from '../../util/validate.js'
import { checkController, type ObservedController } from '../observed.js'
import { METRICS } from './metrics-table.js'
import { snapshotPerScrape } from './scrape-snapshot.js'

export interface CollectMetricsOptions {
  /**
   * The prom-client registry the metrics join (required: pass `register` from prom-client for
   * the global one). Each controller needs its own registry or its own `prefix`.
   */
  registry: Registry
  /** Put in front of every metric name, e.g. `'myapp_'`. Default `''`. */
  prefix?: string
}

export interface CollectedMetrics {
  /** The full names of the metrics registered, prefix included. */
  readonly names: readonly string[]
  /** Removes every metric from the registry; later scrapes no longer read the controller. Idempotent. */
  remove(): void
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const W = 'collectMetrics'

function checkRegistry(value: unknown): Registry {
  const r = value as Partial<Registry> | null | undefined
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.registerMetric !== 'function' ||
    typeof r.removeSingleMetric !== 'function' ||
    typeof r.getSingleMetric !== 'function'
  ) {
    throw new TypeError(
      `${W}: option \`registry\` must be a prom-client Registry (e.g. \`register\` from 'prom-client'), got ${describe(value)}`,
    )
  }
  return r as Registry
}

/**
 * Exposes the controller's state as Prometheus metrics on a prom-client registry. Values are read
 * when the registry is scraped (`await registry.metrics()`), never on the sampling path.
 *
 * ```ts
 * import { Registry } from 'prom-client'
 * import { collectMetrics } from 'heapguard/prometheus'
 * const registry = new Registry()
 * collectMetrics(pressure, { registry, prefix: 'myapp_' })
 * ```
 * @throws TypeError when `pressure` is not a controller or `registry` is missing;
 *   RangeError for a prefix that is not a valid metric name start;
 *   Error when a metric of the same name is already registered (use another `prefix` or registry).
 */
export function collectMetrics(pressure: ObservedController, options: CollectMetricsOptions): CollectedMetrics {
  const controller = checkController(W, pressure)
  if (options === undefined) {
    throw new TypeError(
      `${W}: options { registry } are required (e.g. { registry: register } with register from 'prom-client')`,
    )
  }
  const { registry, prefix = '' } = checkOptions<CollectMetricsOptions>(W, 'options', options, ['registry', 'prefix'])
  const target = checkRegistry(registry)
  if (typeof prefix !== 'string')
    throw new TypeError(`${W}: option \`prefix\` must be a string, got ${describe(prefix)}`)
  if (prefix !== '' && !METRIC_NAME.test(prefix)) {
    throw new RangeError(
      `${W}: option \`prefix\` must start a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${describe(prefix)}`,
    )
  }

  const names = METRICS.map((def) => prefix + def.name)
  // Check every name first, so a clash registers nothing rather than half the metrics.
  const taken = names.find((name) => target.getSingleMetric(name) !== undefined)
  if (taken !== undefined) {
    throw new Error(
      `${W}: a metric named ${taken} is already registered; give each controller its own registry or prefix`,
    )
  }

  // One snapshot per scrape, shared by every family: each piece of state is read once.
  const snapshot = snapshotPerScrape(controller)
  for (const def of METRICS) {
    const config = { name: prefix + def.name, help: def.help, labelNames: def.labelNames, registers: [target] }
    if (def.type === 'gauge') {
      new Gauge({
        ...config,
        collect() {
          this.reset()
          // reset() puts a 0 in an unlabelled gauge: an unknown value must be absent, not 0.
          if (def.labelNames.length === 0) this.remove()
          def.read(snapshot(def.name), (labels, value) => this.set(labels, value))
        },
      })
    } else {
      new Counter({
        ...config,
        collect() {
          // The totals live in the controller: republish them instead of counting twice.
          this.reset()
          if (def.labelNames.length === 0) this.remove()
          def.read(snapshot(def.name), (labels, value) => this.inc(labels, value))
        },
      })
    }
  }

  let removed = false
  return {
    names,
    remove() {
      if (removed) return
      removed = true
      for (const name of names) target.removeSingleMetric(name)
    },
  }
}
