// Only `heapguard/otel` reaches this module, and it imports @opentelemetry/api for types only:
// the instruments are created on the application's own Meter, so heapguard never loads the peer.
import type { BatchObservableCallback, BatchObservableResult, Meter, Observable } from '@opentelemetry/api'
import { checkMethods, checkOptions, describe } from '../../util/validate.js'
import { checkController, type ObservedController } from '../observed.js'
import { METRICS, type MetricDef } from './definitions.js'
import { ScrapeSnapshot } from './scrape-snapshot.js'

export interface CollectOtelMetricsOptions {
  /** The Meter the instruments are created on: `metrics.getMeter('my-service')` from `@opentelemetry/api`. */
  meter: Meter
  /** Put in front of every instrument name, e.g. `'myapp_'`. Default `''`. */
  prefix?: string
}

export interface CollectedOtelMetrics {
  /** The full names of the instruments created, prefix included. */
  readonly names: readonly string[]
  /**
   * Stops observing: collections no longer read the controller. The instruments stay on the
   * Meter (the OpenTelemetry API cannot delete them); with cumulative temporality the SDK may
   * go on exporting the last values it saw. Idempotent.
   */
  remove(): void
}

/** OpenTelemetry instrument names: a letter, then letters, digits, `_`, `.`, `-` or `/`. */
const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]*$/
const W = 'otel collectMetrics'

/**
 * Publishes the controller's state as OpenTelemetry observable instruments on your `Meter`: the
 * same metrics, names, help and labels (as attributes) as `heapguard/prometheus`, from the same
 * table. Gauges become observable gauges, the running totals observable counters. One batch
 * callback reads the controller once per collection, when the SDK's reader collects: sampling
 * pays nothing. A subsystem whose read fails loses its own series for that collection and the
 * failure goes to the controller's `'error'` event.
 *
 * ```ts
 * import { metrics } from '@opentelemetry/api'
 * import { collectMetrics } from 'heapguard/otel'
 * collectMetrics(pressure, { meter: metrics.getMeter('my-service') })
 * ```
 * @throws TypeError when `pressure` is not a controller or `meter` is not a Meter;
 *   RangeError for a prefix that cannot start an instrument name.
 */
export function collectMetrics(pressure: ObservedController, options: CollectOtelMetricsOptions): CollectedOtelMetrics {
  const controller = checkController(W, pressure)
  if (options === undefined) {
    throw new TypeError(`${W}: options { meter } are required (e.g. { meter: metrics.getMeter('my-service') })`)
  }
  const { meter, prefix = '' } = checkOptions<CollectOtelMetricsOptions>(W, 'options', options, ['meter', 'prefix'])
  const target = checkMethods<Meter>(
    W,
    'option `meter`',
    meter,
    ['createObservableGauge', 'createObservableCounter', 'addBatchObservableCallback', 'removeBatchObservableCallback'],
    "be an OpenTelemetry Meter (metrics.getMeter(name) from '@opentelemetry/api')",
  )
  if (typeof prefix !== 'string')
    throw new TypeError(`${W}: option \`prefix\` must be a string, got ${describe(prefix)}`)
  if (prefix !== '' && !INSTRUMENT_NAME.test(prefix)) {
    throw new RangeError(
      `${W}: option \`prefix\` must start a valid instrument name ([A-Za-z][A-Za-z0-9_.-/]*), got ${describe(prefix)}`,
    )
  }

  const instruments = new Map<MetricDef, Observable>()
  for (const def of METRICS) {
    const config = { description: def.help, ...(def.unit === undefined ? {} : { unit: def.unit }) }
    const name = prefix + def.name
    instruments.set(
      def,
      def.type === 'gauge' ? target.createObservableGauge(name, config) : target.createObservableCounter(name, config),
    )
  }
  const observables = [...instruments.values()]

  // One snapshot per collection, shared by every instrument. A family whose read fails is left out
  // of this collection and the failure reported on the controller's 'error' (once: the snapshot
  // remembers it); throwing would make the SDK drop the whole batch.
  const callback: BatchObservableCallback = (result: BatchObservableResult) => {
    const snapshot = new ScrapeSnapshot(controller)
    const failures = new Set<unknown>()
    for (const [def, instrument] of instruments) {
      try {
        def.read(snapshot, (labels, value) => result.observe(instrument, value, labels))
      } catch (error) {
        failures.add(error)
      }
    }
    for (const error of failures) controller.report?.(error)
  }
  target.addBatchObservableCallback(callback, observables)

  let removed = false
  return {
    names: METRICS.map((def) => prefix + def.name),
    remove() {
      if (removed) return
      removed = true
      target.removeBatchObservableCallback(callback, observables)
    },
  }
}
