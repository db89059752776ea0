import type { Meter } from '@opentelemetry/api'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, PressureController, type Controller } from '../../../src/index.js'
import { collectMetrics } from '../../../src/otel.js'
import { collectMetrics as collectPrometheus } from '../../../src/prometheus.js'
import { bytesSource } from '../../support/sources.js'
import { manualClock, parsePrometheus } from '../helpers.js'

const MiB = 1024 * 1024
const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** A MeterProvider whose reader the test collects by hand, into the SDK's in-memory exporter. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // The interval never fires in a test: every collection is a forceFlush().
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  cleanup.push(() => provider.shutdown())
  const meter = provider.getMeter('heapguard-test')
  /** Collects now; returns the metrics of that collection by name. */
  const collect = async (): Promise<Map<string, MetricData>> => {
    exporter.reset()
    await reader.forceFlush()
    const metrics = new Map<string, MetricData>()
    for (const resource of exporter.getMetrics())
      for (const scope of resource.scopeMetrics) for (const m of scope.metrics) metrics.set(m.descriptor.name, m)
    return metrics
  }
  return { meter, collect }
}

function setup() {
  const heap = bytesSource('heap', 0, 100 * MiB)
  const rss = bytesSource('rss', 0, 1000 * MiB)
  const pressure = createController({ autoStart: false, sources: [heap, rss], now: manualClock().now, logger: {} })
  cleanup.push(() => pressure.close())
  return { heap, rss, pressure }
}

/** Every data point of a collection as `name{k="v",…}` → value, the way Prometheus names a series. */
function series(metrics: Map<string, MetricData>): Map<string, number> {
  const out = new Map<string, number>()
  for (const [name, metric] of metrics) {
    for (const point of metric.dataPoints) {
      const labels = Object.entries(point.attributes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}="${String(v)}"`)
        .join(',')
      out.set(labels === '' ? name : `${name}{${labels}}`, point.value as number)
    }
  }
  return out
}

/** A controller with a bit of everything: sources, caches under pressure, shed requests, a flag, a task. */
function busy(pressure: Controller, heap: { used: number }) {
  const users = pressure.caches.lru<string, string>('users', { max: 100 })
  for (let i = 0; i < 40; i++) users.set(`u${i}`, 'x'.repeat(100))
  heap.used = 90 * MiB
  pressure.sample() // critical: the cache keeps half of the 40 it held
  users.get('u39')
  users.get('missing')
  pressure.shed.admit('low')
  pressure.features.flag('recommendations')
  const task = pressure.tasks.every('cleanup', 60_000, () => {})
  cleanup.push(() => task.stop())
}

describe('heapguard/otel collectMetrics', () => {
  it('creates an observable instrument for every metric: gauges as gauges, totals as monotonic sums', async () => {
    const { heap, pressure } = setup()
    busy(pressure, heap)
    const { meter, collect } = sdk()
    const collected = collectMetrics(pressure, { meter })
    const metrics = await collect()
    const registry = new Registry()
    const prometheus = collectPrometheus(pressure, { registry })
    expect(collected.names).toEqual(prometheus.names)
    const types = parsePrometheus(await registry.metrics()).types
    for (const name of collected.names) {
      const metric = metrics.get(name)
      if (metric === undefined) continue // no data point this collection (a series absent in Prometheus too)
      if (types.get(name) === 'counter') {
        expect(metric.dataPointType, name).toBe(DataPointType.SUM)
        expect(metric.dataPointType === DataPointType.SUM && metric.isMonotonic, name).toBe(true)
      } else expect(metric.dataPointType, name).toBe(DataPointType.GAUGE)
      const help = (await registry.getSingleMetricAsString(name)).split('\n')[0]!.replace(`# HELP ${name} `, '')
      expect(metric.descriptor.description, name).toBe(help)
    }
    expect(metrics.get('memory_usage_bytes')?.descriptor.unit).toBe('By')
    expect(metrics.get('memory_pressure_ratio')?.descriptor.unit).toBe('1')
  })

  it('reports exactly the series and values Prometheus scrapes, from the same table', async () => {
    const { heap, pressure } = setup()
    busy(pressure, heap)
    pressure.mode = 'observe'
    const { meter, collect } = sdk()
    collectMetrics(pressure, { meter })
    const registry = new Registry()
    collectPrometheus(pressure, { registry })
    const otel = series(await collect())
    const prom = parsePrometheus(await registry.metrics())
    const expected = new Map(
      prom.series.map((s) => {
        const labels = Object.entries(s.labels)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')
        return [labels === '' ? s.name : `${s.name}{${labels}}`, s.value] as const
      }),
    )
    expect(otel).toEqual(expected)
    expect(otel.get('memory_pressure_mode{mode="observe"}')).toBe(1)
    expect(otel.get('memory_pressure_level')).toBe(2)
    expect(otel.get('memory_pressure_applied_level')).toBe(0)
    expect(otel.get('requests_shed_total{priority="low"}')).toBe(1)
    expect(otel.get('cache_entries{cache="users"}')).toBe(20)
    expect(otel.get('cache_regrowing')).toBe(1)
  })

  it('reads the controller at each collection, never on the sampling path', async () => {
    const { heap, pressure } = setup()
    const { meter, collect } = sdk()
    collectMetrics(pressure, { meter })
    heap.used = 30 * MiB
    pressure.sample()
    const stats = vi.spyOn(pressure.caches, 'stats')
    expect(series(await collect()).get('memory_pressure_ratio')).toBeCloseTo(0.3, 10)
    expect(stats).toHaveBeenCalledTimes(1) // one snapshot per collection, however many instruments read it
    heap.used = 97 * MiB
    pressure.sample()
    pressure.sample()
    expect(stats).toHaveBeenCalledTimes(1)
    const second = series(await collect())
    expect(second.get('memory_pressure_level')).toBe(3)
    expect(second.get('memory_pressure_transitions_total{cause="ratio",to="emergency"}')).toBe(1)
    expect(stats).toHaveBeenCalledTimes(2)
  })

  it('puts the prefix in front of every name', async () => {
    const { pressure } = setup()
    pressure.sample()
    const { meter, collect } = sdk()
    const collected = collectMetrics(pressure, { meter, prefix: 'app.' })
    expect(collected.names.every((n) => n.startsWith('app.'))).toBe(true)
    expect([...(await collect()).keys()]).toContain('app.memory_pressure_ratio')
  })

  it('remove() stops reading the controller, once', async () => {
    const { pressure, heap } = setup()
    heap.used = 30 * MiB
    pressure.sample()
    const { meter, collect } = sdk()
    const collected = collectMetrics(pressure, { meter })
    expect(series(await collect()).get('memory_pressure_level')).toBe(0)
    collected.remove()
    collected.remove()
    const stats = vi.spyOn(pressure.caches, 'stats')
    pressure.force('emergency')
    // The SDK may repeat the last cumulative values, but nothing new is observed.
    expect(series(await collect()).get('memory_pressure_level') ?? 0).toBe(0)
    expect(stats).not.toHaveBeenCalled()
  })

  it("a subsystem that throws loses its own series only; the error goes to the controller's 'error', once", async () => {
    const { pressure } = setup()
    pressure.sample()
    pressure.caches.lru('users', { max: 10 })
    const errors: Error[] = []
    pressure.on('error', (error) => errors.push(error))
    const { meter, collect } = sdk()
    collectMetrics(pressure, { meter })
    const stats = vi.spyOn(pressure.caches, 'stats').mockImplementation(() => {
      throw new Error('stats broke')
    })
    const seen = series(await collect())
    expect(seen.has('cache_entries{cache="users"}')).toBe(false)
    expect(seen.get('memory_pressure_level')).toBe(0)
    expect(errors.map((e) => e.message)).toEqual(['stats broke'])
    expect(stats).toHaveBeenCalledTimes(1)
  })

  it('observes a bare pressure controller: subsystem series are simply absent', async () => {
    const heap = bytesSource('heap', 0, 100 * MiB)
    const bare = new PressureController({ sources: [heap], autoStart: false, logger: {} })
    cleanup.push(() => bare.close())
    heap.used = 80 * MiB
    bare.sample()
    const { meter, collect } = sdk()
    collectMetrics(bare, { meter })
    const seen = series(await collect())
    expect(seen.get('memory_pressure_level')).toBe(1)
    expect([...seen.keys()].some((k) => k.startsWith('cache_') || k.startsWith('requests_'))).toBe(false)
  })

  it('rejects bad arguments at the call', () => {
    const { pressure } = setup()
    const { meter } = sdk()
    expect(() => collectMetrics({} as never, { meter })).toThrow(TypeError)
    expect(() => collectMetrics(pressure, undefined as never)).toThrow(/options \{ meter \} are required/)
    expect(() => collectMetrics(pressure, { meter: {} as Meter })).toThrow(
      /option `meter` must be an OpenTelemetry Meter/,
    )
    expect(() => collectMetrics(pressure, { meter, prefix: 5 as never })).toThrow(TypeError)
    expect(() => collectMetrics(pressure, { meter, prefix: '9app' })).toThrow(RangeError)
    expect(() => collectMetrics(pressure, { meter, registry: {} } as never)).toThrow(/unknown option `registry`/)
  })
})
