import { afterEach, describe, expect, it, vi } from 'vitest'
import { Registry } from 'prom-client'
import { createController, PressureController, type Controller, type GcInfo } from '../../../src/index.js'
import { collectMetrics } from '../../../src/prometheus.js'
import { metricsHandler } from '../../../src/web.js'
import { bytesSource } from '../../support/sources.js'
import { manualClock, parsePrometheus } from '../helpers.js'

const MiB = 1024 * 1024
const opened: Controller[] = []

function setup(options: { prefix?: string } = {}) {
  const heap = bytesSource('heap', 0, 100 * MiB)
  const rss = bytesSource('rss', 0, 1000 * MiB)
  const clock = manualClock()
  const pressure = createController({ autoStart: false, sources: [heap, rss], now: clock.now, logger: {} })
  opened.push(pressure)
  const registry = new Registry()
  const metrics = collectMetrics(pressure, { registry, ...options })
  const scrape = async () => parsePrometheus(await registry.metrics())
  return { heap, rss, clock, pressure, registry, metrics, scrape }
}

afterEach(() => {
  for (const p of opened.splice(0)) p.close()
})

describe('collectMetrics', () => {
  it('registers every contract metric, with the right type', async () => {
    const { pressure, heap, rss, scrape } = setup()
    heap.used = 30 * MiB
    rss.used = 200 * MiB
    pressure.sample()
    const m = await scrape()
    const expected: Record<string, string> = {
      memory_usage_bytes: 'gauge',
      memory_limit_bytes: 'gauge',
      memory_pressure_ratio: 'gauge',
      memory_pressure_level: 'gauge',
      memory_pressure_transitions_total: 'counter',
      cache_size_bytes: 'gauge',
      cache_entries: 'gauge',
      cache_hit_ratio: 'gauge',
      cache_evictions_total: 'counter',
      requests_shed_total: 'counter',
      cache_hits_total: 'counter',
      cache_misses_total: 'counter',
      cache_capacity: 'gauge',
      memory_seconds_to_limit: 'gauge',
      memory_pressure_forced_level: 'gauge',
    }
    for (const [name, type] of Object.entries(expected)) expect(m.types.get(name), name).toBe(type)
  })

  it('reads the sources, the ratio and the level at scrape time', async () => {
    const { pressure, heap, rss, scrape } = setup()
    heap.used = 30 * MiB
    rss.used = 200 * MiB
    pressure.sample()
    let m = await scrape()
    expect(m.value('memory_usage_bytes', { source: 'heap' })).toBe(30 * MiB)
    expect(m.value('memory_usage_bytes', { source: 'rss' })).toBe(200 * MiB)
    expect(m.value('memory_limit_bytes', { source: 'heap' })).toBe(100 * MiB)
    expect(m.value('memory_limit_bytes', { source: 'rss' })).toBe(1000 * MiB)
    expect(m.value('memory_pressure_ratio')).toBeCloseTo(0.3, 10)
    expect(m.value('memory_pressure_level')).toBe(0)
    expect(m.value('memory_pressure_threshold', { level: 'critical' })).toBe(0.85)

    heap.used = 90 * MiB
    pressure.sample()
    m = await scrape()
    expect(m.value('memory_usage_bytes', { source: 'heap' })).toBe(90 * MiB)
    expect(m.value('memory_pressure_ratio')).toBeCloseTo(0.9, 10)
    expect(m.value('memory_pressure_level')).toBe(2)
    expect(m.value('memory_pressure_measured_level')).toBe(2)
  })

  it('a scrape takes no sample', async () => {
    const { pressure, heap, scrape } = setup()
    heap.used = 10 * MiB
    pressure.sample()
    await scrape()
    await scrape()
    expect(pressure.history()).toHaveLength(1)
  })

  it('reads each piece of state once per scrape, however many families show it', async () => {
    const { pressure, heap, registry, scrape } = setup()
    heap.used = 30 * MiB
    pressure.sample()
    const users = pressure.caches.lru<string, string>('users', { max: 100 })
    const pages = pressure.caches.lru<string, string>('pages', { max: 100 })
    for (let i = 0; i < 50; i++) users.set(`u${i}`, 'x'.repeat(100))
    pages.set('home', '<html>')
    pressure.features.flag('recommendations', { offAt: 'critical' })
    const task = pressure.tasks.every('cleanup', 60_000, () => {}, { pauseAt: 'warning' })
    const reads = {
      caches: vi.spyOn(pressure.caches, 'stats'),
      shed: vi.spyOn(pressure.shed, 'stats'),
      features: vi.spyOn(pressure.features, 'list'),
      tasks: vi.spyOn(pressure.tasks, 'list'),
      trend: vi.spyOn(pressure, 'trend'),
      transitionCountsByCause: vi.spyOn(pressure, 'transitionCountsByCause'),
      lastSample: vi.spyOn(pressure, 'lastSample', 'get'),
    }
    const counts = () => Object.fromEntries(Object.entries(reads).map(([name, spy]) => [name, spy.mock.calls.length]))
    const once = Object.fromEntries(Object.keys(reads).map((name) => [name, 1]))

    const m = parsePrometheus(await registry.metrics())
    expect(counts()).toEqual(once)
    // Every family still got its values from that one read.
    expect(m.all('cache_entries').map((s) => [s.labels.cache, s.value])).toEqual([
      ['users', 50],
      ['pages', 1],
    ])
    expect(m.value('cache_hits_total', { cache: 'users' })).toBe(0)
    expect(m.value('requests_in_flight')).toBe(0)
    expect(m.value('memory_usage_bytes', { source: 'heap' })).toBe(30 * MiB)
    expect(m.value('memory_limit_bytes', { source: 'heap' })).toBe(100 * MiB)
    expect(m.value('task_runs_total', { task: 'cleanup' })).toBe(0)

    // The next scrape reads again, and sees what changed in between.
    users.get('u1')
    await scrape()
    expect(counts()).toEqual(Object.fromEntries(Object.keys(reads).map((name) => [name, 2])))
    expect((await scrape()).value('cache_hits_total', { cache: 'users' })).toBe(1)
    void task.stop()
  })

  it('reads afresh for every scrape: two started in one turn, or single families read turns apart', async () => {
    const { pressure, registry } = setup()
    pressure.sample()
    const stats = vi.spyOn(pressure.caches, 'stats')
    const before = registry.metrics()
    pressure.force('critical')
    const after = registry.metrics()
    expect(parsePrometheus(await before).value('memory_pressure_level')).toBe(0)
    expect(parsePrometheus(await after).value('memory_pressure_level')).toBe(2)
    expect(stats).toHaveBeenCalledTimes(2)
    // A single family read in a later turn is fresh too.
    pressure.release()
    const single = parsePrometheus(await registry.getSingleMetricAsString('memory_pressure_level'))
    expect(single.value('memory_pressure_level')).toBe(0)
    // ...even for a family that has not read the snapshot an earlier turn took.
    const users = pressure.caches.lru<string, string>('users', { max: 10 })
    users.set('a', 'x')
    await registry.getSingleMetricAsString('cache_entries')
    users.get('a')
    const hits = parsePrometheus(await registry.getSingleMetricAsString('cache_hits_total'))
    expect(hits.value('cache_hits_total', { cache: 'users' })).toBe(1)
  })

  it('a subsystem that throws is read once per scrape, and the scrape fails with its error', async () => {
    const { pressure, registry, scrape } = setup()
    pressure.sample()
    pressure.caches.lru('users', { max: 10 })
    const stats = vi.spyOn(pressure.caches, 'stats').mockImplementation(() => {
      throw new Error('stats broke')
    })
    await expect(registry.metrics()).rejects.toThrow('stats broke')
    expect(stats).toHaveBeenCalledTimes(1)
    stats.mockRestore()
    expect((await scrape()).value('cache_entries', { cache: 'users' })).toBe(0)
  })

  it('counts transitions by target level and cause, every known cause at 0 from the start, and shows a forced level', async () => {
    const { pressure, scrape, heap } = setup()
    pressure.sample()
    let m = await scrape()
    const causes = ['expired', 'forced', 'gc', 'memory.events', 'psi', 'ratio', 'recovery', 'released']
    const all = m.all('memory_pressure_transitions_total')
    expect(new Set(all.map((s) => s.labels.to))).toEqual(new Set(['critical', 'emergency', 'normal', 'warning']))
    expect([...new Set(all.map((s) => s.labels.cause))].sort()).toEqual(causes)
    expect(all.every((s) => s.value === 0)).toBe(true)
    expect(m.value('memory_pressure_forced_level')).toBe(-1)

    pressure.force('critical')
    m = await scrape()
    expect(m.value('memory_pressure_level')).toBe(2)
    expect(m.value('memory_pressure_measured_level')).toBe(0)
    expect(m.value('memory_pressure_forced_level')).toBe(2)
    expect(m.value('memory_pressure_transitions_total', { to: 'critical', cause: 'forced' })).toBe(1)

    pressure.force('emergency')
    pressure.release()
    heap.used = 90 * MiB
    pressure.sample()
    m = await scrape()
    expect(m.value('memory_pressure_level')).toBe(2)
    expect(m.value('memory_pressure_forced_level')).toBe(-1)
    expect(m.value('memory_pressure_transitions_total', { to: 'critical', cause: 'forced' })).toBe(1)
    expect(m.value('memory_pressure_transitions_total', { to: 'emergency', cause: 'forced' })).toBe(1)
    expect(m.value('memory_pressure_transitions_total', { to: 'normal', cause: 'released' })).toBe(1)
    expect(m.value('memory_pressure_transitions_total', { to: 'critical', cause: 'ratio' })).toBe(1)
  })

  it('shows the rollout mode, the applied level and cache regrowth', async () => {
    const { pressure, scrape } = setup()
    pressure.sample()
    pressure.caches.lru('users', { max: 10 })
    let m = await scrape()
    expect(m.value('memory_pressure_mode', { mode: 'enforce' })).toBe(1)
    expect(m.value('memory_pressure_mode', { mode: 'observe' })).toBe(0)
    expect(m.value('memory_pressure_applied_level')).toBe(0)
    expect(m.value('cache_regrowing')).toBe(0)
    pressure.force('critical')
    pressure.mode = 'observe'
    m = await scrape()
    expect(m.value('memory_pressure_mode', { mode: 'observe' })).toBe(1)
    expect(m.value('memory_pressure_mode', { mode: 'enforce' })).toBe(0)
    expect(m.value('memory_pressure_level')).toBe(2)
    expect(m.value('memory_pressure_applied_level')).toBe(0)
    expect(m.value('cache_regrowing')).toBe(1) // released from critical: growing back over regrowMs
    pressure.mode = 'enforce'
    expect((await scrape()).value('memory_pressure_applied_level')).toBe(2)
  })

  it('reports each managed cache, and its shrinking under pressure', async () => {
    const { pressure, scrape } = setup()
    pressure.sample()
    const users = pressure.caches.lru<string, string>('users', { max: 100, priority: 'normal' })
    const extras = pressure.caches.lru<string, string>('extras', { max: 100, priority: 'optional' })
    for (let i = 0; i < 10; i++) users.set(`u${i}`, 'x'.repeat(100))
    for (let i = 0; i < 4; i++) extras.set(`e${i}`, 'y')
    users.get('u1')
    users.get('u2')
    users.get('u3')
    users.get('missing')

    let m = await scrape()
    expect(m.value('cache_entries', { cache: 'users' })).toBe(10)
    expect(m.value('cache_entries', { cache: 'extras' })).toBe(4)
    expect(m.value('cache_capacity', { cache: 'users' })).toBe(100)
    expect(m.value('cache_hits_total', { cache: 'users' })).toBe(3)
    expect(m.value('cache_misses_total', { cache: 'users' })).toBe(1)
    expect(m.value('cache_hit_ratio', { cache: 'users' })).toBeCloseTo(0.75, 10)
    expect(m.value('cache_evictions_total', { cache: 'users' })).toBe(0)
    expect(m.value('cache_size_bytes', { cache: 'users' })).toBeGreaterThan(0)
    expect(m.value('cache_size_multiplier', { cache: 'users' })).toBe(1)

    // critical: a normal cache keeps half of what it held, an optional one is switched off.
    pressure.force('critical')
    m = await scrape()
    expect(m.value('cache_capacity', { cache: 'users' })).toBe(5)
    expect(m.value('cache_entries', { cache: 'users' })).toBe(5)
    expect(m.value('cache_evictions_total', { cache: 'users' })).toBe(5)
    expect(m.value('cache_size_multiplier', { cache: 'users' })).toBe(0.5)
    expect(m.value('cache_entries', { cache: 'extras' })).toBe(0)
    expect(m.value('cache_capacity', { cache: 'extras' })).toBe(0)
    expect(m.value('cache_evictions_total', { cache: 'extras' })).toBe(4)

    // An unregistered cache leaves the scrape: label sets follow the registry.
    pressure.caches.unregister('extras')
    m = await scrape()
    expect(m.value('cache_entries', { cache: 'extras' })).toBeUndefined()
    expect(m.value('cache_entries', { cache: 'users' })).toBe(5)
  })

  it('counts shed requests by priority', async () => {
    const { pressure, scrape } = setup()
    pressure.sample()
    let m = await scrape()
    for (const priority of ['critical', 'high', 'normal', 'low']) {
      expect(m.value('requests_shed_total', { priority })).toBe(0)
    }
    pressure.force('emergency')
    expect(pressure.shed.admit('low')).toBe(false)
    expect(pressure.shed.admit('low')).toBe(false)
    expect(pressure.shed.admit('normal')).toBe(false)
    expect(pressure.shed.admit('critical')).toBe(true)
    m = await scrape()
    expect(m.value('requests_shed_total', { priority: 'low' })).toBe(2)
    expect(m.value('requests_shed_total', { priority: 'normal' })).toBe(1)
    expect(m.value('requests_shed_total', { priority: 'high' })).toBe(0)
    expect(m.value('requests_shed_total', { priority: 'critical' })).toBe(0)
  })

  it('shows feature flags and tasks', async () => {
    const { pressure, scrape } = setup()
    pressure.sample()
    pressure.features.flag('recommendations', { offAt: 'critical' })
    const task = pressure.tasks.every('cleanup', 60_000, () => {}, { pauseAt: 'warning' })
    let m = await scrape()
    expect(m.value('feature_enabled', { feature: 'recommendations' })).toBe(1)
    expect(m.value('task_paused', { task: 'cleanup' })).toBe(0)
    pressure.force('critical')
    m = await scrape()
    expect(m.value('feature_enabled', { feature: 'recommendations' })).toBe(0)
    expect(m.value('task_paused', { task: 'cleanup' })).toBe(1)
    void task.stop()
  })

  it('projects the time to the limit from the post-GC heap floor: absent before a floor, +Inf without growth', async () => {
    const heap = bytesSource('heap', 0, 100 * MiB)
    const clock = manualClock()
    let onGc: ((info: GcInfo) => void) | undefined
    const pressure = createController({
      sources: [heap],
      now: clock.now,
      intervalMs: 3_600_000,
      logger: {},
      subscribeGc: (fn) => {
        onGc = fn
        return () => (onGc = undefined)
      },
    })
    opened.push(pressure)
    const registry = new Registry()
    collectMetrics(pressure, { registry })
    let m = parsePrometheus(await registry.metrics())
    expect(m.types.get('memory_seconds_to_limit')).toBe('gauge')
    expect(m.value('memory_seconds_to_limit')).toBeUndefined()
    expect(m.value('memory_heap_floor_bytes')).toBeUndefined()

    // A floor rising 1 MiB per second, 40 MiB below the limit at the last GC: 40 s left.
    for (let i = 0; i < 5; i++) {
      clock.advance(1000)
      heap.used = (56 + i) * MiB
      onGc!({ major: true })
    }
    m = parsePrometheus(await registry.metrics())
    expect(m.value('memory_heap_floor_bytes')).toBe(60 * MiB)
    expect(m.value('memory_heap_floor_growth_bytes_per_second')).toBeCloseTo(MiB, 0)
    expect(m.value('memory_seconds_to_limit')).toBeCloseTo(40, 6)

    // Between allocation steps the heap stays flat: the trend projects nothing, and the series
    // stays (as +Inf) instead of vanishing until the next step, which reset every `for:` clock.
    clock.advance(2000)
    pressure.sample()
    expect(pressure.trend().msToLimit).toBeNull()
    m = parsePrometheus(await registry.metrics())
    expect(m.value('memory_seconds_to_limit')).toBe(Infinity)
    const text = await metricsHandler(pressure)(new Request('http://localhost/metrics')).text()
    expect(text).toMatch(/^memory_seconds_to_limit \+Inf$/m)
    heap.used = 62 * MiB
    clock.advance(1000)
    onGc!({ major: true })
    m = parsePrometheus(await registry.metrics())
    expect(m.value('memory_seconds_to_limit')).toBeGreaterThan(0)
    expect(m.value('memory_seconds_to_limit')).toBeLessThan(Infinity)
  })

  it('serves two controllers on two registries independently', async () => {
    const a = setup()
    const b = setup()
    a.heap.used = 20 * MiB
    b.heap.used = 96 * MiB
    a.pressure.sample()
    b.pressure.sample()
    b.pressure.force('warning')
    const ma = await a.scrape()
    const mb = await b.scrape()
    expect(ma.value('memory_pressure_ratio')).toBeCloseTo(0.2, 10)
    expect(mb.value('memory_pressure_ratio')).toBeCloseTo(0.96, 10)
    expect(ma.value('memory_pressure_level')).toBe(0)
    expect(mb.value('memory_pressure_level')).toBe(1)
    expect(ma.value('memory_pressure_forced_level')).toBe(-1)
    expect(mb.value('memory_pressure_forced_level')).toBe(1)
  })

  it('puts the prefix in front of every name; a second controller on one registry needs its own prefix', async () => {
    const { pressure, registry, metrics, scrape } = setup({ prefix: 'app_' })
    pressure.sample()
    const m = await scrape()
    expect(metrics.names.every((n) => n.startsWith('app_'))).toBe(true)
    expect(m.types.get('app_memory_pressure_ratio')).toBe('gauge')
    expect(m.types.get('memory_pressure_ratio')).toBeUndefined()
    expect(m.series.every((s) => s.name.startsWith('app_'))).toBe(true)

    const other = createController({ autoStart: false, sources: [bytesSource()], logger: {} })
    opened.push(other)
    expect(() => collectMetrics(other, { registry, prefix: 'app_' })).toThrow(
      /app_memory_usage_bytes is already registered/,
    )
    // The failed call registered nothing, so the same registry still scrapes.
    expect(registry.getMetricsAsArray()).toHaveLength(metrics.names.length)
    const second = collectMetrics(other, { registry, prefix: 'worker_' })
    expect(registry.getMetricsAsArray()).toHaveLength(2 * metrics.names.length)
    second.remove()
  })

  it('remove() unregisters every metric, once', async () => {
    const { pressure, registry, metrics, scrape } = setup()
    pressure.sample()
    expect(registry.getMetricsAsArray().length).toBe(metrics.names.length)
    metrics.remove()
    metrics.remove()
    expect(registry.getMetricsAsArray()).toHaveLength(0)
    expect((await scrape()).series).toHaveLength(0)
    // The names are free again.
    collectMetrics(pressure, { registry }).remove()
  })

  it('observes a bare pressure controller: subsystem series are simply absent', async () => {
    const heap = bytesSource('heap', 0, 100 * MiB)
    const bare = new PressureController({ sources: [heap], logger: {} })
    const registry = new Registry()
    collectMetrics(bare, { registry })
    heap.used = 80 * MiB
    bare.sample()
    const m = parsePrometheus(await registry.metrics())
    expect(m.value('memory_pressure_level')).toBe(1)
    expect(m.value('memory_usage_bytes', { source: 'heap' })).toBe(80 * MiB)
    expect(m.all('cache_entries')).toEqual([])
    expect(m.all('requests_shed_total')).toEqual([])
    expect(m.value('requests_in_flight')).toBeUndefined()
    bare.close()
  })

  it('rejects bad arguments at the call', () => {
    const pressure = createController({ autoStart: false, sources: [bytesSource()], logger: {} })
    opened.push(pressure)
    const registry = new Registry()
    // @ts-expect-error the registry is required
    expect(() => collectMetrics(pressure, {})).toThrow(TypeError)
    // @ts-expect-error the options are required
    expect(() => collectMetrics(pressure)).toThrow(/registry/)
    // @ts-expect-error not a registry
    expect(() => collectMetrics(pressure, { registry: {} })).toThrow(/option `registry` must be a prom-client Registry/)
    // @ts-expect-error not a controller
    expect(() => collectMetrics({}, { registry })).toThrow(/argument `pressure` must be a controller/)
    expect(() => collectMetrics(pressure, { registry, prefix: '1abc' })).toThrow(RangeError)
    expect(() => collectMetrics(pressure, { registry, prefix: 'a-b' })).toThrow(/option `prefix`.*"a-b"/)
    // @ts-expect-error not a string
    expect(() => collectMetrics(pressure, { registry, prefix: 3 })).toThrow(TypeError)
    // @ts-expect-error unknown option
    expect(() => collectMetrics(pressure, { registry, prefx: 'a_' })).toThrow(/unknown option `prefx`/)
    expect(registry.getMetricsAsArray()).toHaveLength(0)
  })
})

describe('collectMetrics: reservations and the cache budget', () => {
  it('shows what is reserved, what was refused (also in requests_shed_total) and what caches gave back', async () => {
    const { pressure, heap, scrape } = setup()
    heap.used = 50 * MiB
    const job = pressure.reserve(20 * MiB, { priority: 'low' })
    expect(() => pressure.reserve(20 * MiB, { priority: 'low' })).toThrow()
    let m = await scrape()
    expect(m.types.get('memory_reserved_bytes')).toBe('gauge')
    expect(m.types.get('reservations_refused_total')).toBe('counter')
    expect(m.value('memory_reserved_bytes')).toBe(20 * MiB)
    expect(m.value('reservations_active')).toBe(1)
    expect(m.value('reservations_refused_total', { priority: 'low' })).toBe(1)
    expect(m.value('reservations_refused_total', { priority: 'normal' })).toBe(0)
    expect(m.value('reservations_granted_total', { priority: 'low' })).toBe(1)
    expect(m.value('requests_shed_total', { priority: 'low' })).toBe(1)
    expect(m.value('reservations_expired_total')).toBe(0)
    expect(m.value('cache_reclaimed_bytes_total')).toBe(0)
    job.release()
    m = await scrape()
    expect(m.value('memory_reserved_bytes')).toBe(0)
  })

  it('shows the cache budget and its use, absent without one', async () => {
    const { scrape } = setup()
    let m = await scrape()
    expect(m.value('cache_budget_bytes')).toBeUndefined()
    expect(m.value('cache_budget_used_bytes')).toBeUndefined()
    const heap = bytesSource('heap', 0, 100 * MiB)
    const pressure = createController({ autoStart: false, sources: [heap], caches: { budget: 10 }, logger: {} })
    opened.push(pressure)
    const registry = new Registry()
    collectMetrics(pressure, { registry })
    const cache = pressure.caches.lru<string, string>('c', { max: 100, sizeCalculation: () => 1 })
    for (let i = 0; i < 12; i++) cache.set(`k${i}`, 'v')
    m = parsePrometheus(await registry.metrics())
    expect(m.types.get('cache_budget_bytes')).toBe('gauge')
    expect(m.value('cache_budget_bytes')).toBe(10)
    expect(m.value('cache_budget_used_bytes')).toBe(10)
    expect(m.value('cache_budget_evictions_total')).toBe(2)
  })

  it('leaves the reservation families absent on a bare pressure controller', async () => {
    const pressure = new PressureController({ autoStart: false, sources: [bytesSource()] })
    const registry = new Registry()
    collectMetrics(pressure, { registry })
    const m = parsePrometheus(await registry.metrics())
    expect(m.value('memory_reserved_bytes')).toBeUndefined()
    expect(m.all('reservations_refused_total')).toEqual([])
    pressure.close()
  })
})
