// The leak rows of the metric table, through heapguard/prometheus: growth per kind of the newest
// report, heap not in managed caches, a held leak, reports by trigger. No per-site labels.
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createController, type Controller, type GcInfo } from '../../../src/index.js'
import { collectMetrics } from '../../../src/prometheus.js'
import { parsePrometheus } from '../helpers.js'

const MiB = 1024 * 1024
const opened: Controller[] = []
afterEach(() => {
  for (const p of opened.splice(0)) p.close()
})

function setup() {
  const heap = { used: 40 * MiB }
  let onGc: ((info: GcInfo) => void) | undefined
  const clock = { t: 1_700_000_000_000 }
  const pressure = createController({
    sources: [{ name: 'heap', read: () => ({ used: heap.used, limit: 400 * MiB }) }],
    now: () => clock.t,
    intervalMs: 60_000,
    fastIntervalMs: 60_000,
    gcCoalesceMs: 0,
    subscribeGc: (fn) => {
      onGc = fn
      return () => (onGc = undefined)
    },
    logger: {},
    leaks: { auto: false, intervalBytes: 16 * 1024, maxPauseMs: 60_000 },
  })
  opened.push(pressure)
  const registry = new Registry()
  collectMetrics(pressure, { registry })
  const floor = (at: number, used: number) => {
    clock.t = at
    heap.used = used
    onGc?.({ major: true })
  }
  return { pressure, heap, floor, scrape: async () => parsePrometheus(await registry.metrics()) }
}

describe('leak metrics', () => {
  it('are absent before anything is known, then follow the newest report and the floor', async () => {
    const { pressure, heap, floor, scrape } = setup()
    const before = await scrape()
    expect(before.types.get('memory_growth_bytes_per_second')).toBe('gauge')
    expect(before.all('memory_growth_bytes_per_second')).toEqual([])
    expect(before.all('memory_unmanaged_bytes')).toEqual([])
    expect(before.all('memory_leak_held_bytes')).toEqual([])
    expect(before.all('memory_leak_reports_total').map((s) => [s.labels.trigger, s.value])).toEqual([
      ['capture', 0],
      ['rising', 0],
      ['warning', 0],
    ])

    // Heap not in managed caches: the post-GC floor less the caches' bytes.
    const cache = pressure.caches.lru<number, string>('pages', {
      max: 100,
      maxSize: 10 * MiB,
      sizeCalculation: (v) => v.length,
    })
    for (let i = 0; i < 10; i++) cache.set(i, 'x'.repeat(100_000))
    floor(1_700_000_001_000, 40 * MiB)
    const cached = pressure.caches.stats()[0]!.bytes
    expect((await scrape()).value('memory_unmanaged_bytes')).toBe(40 * MiB - cached)

    // A window whose heap reading grows 4 MiB a checkpoint: growth per kind, one report counted.
    const grow = setInterval(() => (heap.used += MiB), 20)
    const report = await pressure.leaks.capture({ durationMs: 400, checkpoints: 3 }).finally(() => clearInterval(grow))
    const m = await scrape()
    expect(
      m
        .all('memory_growth_bytes_per_second')
        .map((s) => s.labels.memory)
        .sort(),
    ).toEqual(['caches', 'external', 'heap', 'native'])
    expect(m.value('memory_growth_bytes_per_second', { memory: 'heap' })).toBe(report.growth.heap)
    expect(m.value('memory_leak_reports_total', { trigger: 'capture' })).toBe(1)
    // The report found growth outside the caches: a held leak once a newer floor is seen.
    expect(report.grows).toBe('heap')
    floor(1_700_000_011_000, report.heapBytes.first + 20 * MiB)
    pressure.sample()
    floor(1_700_000_022_000, report.heapBytes.first + 20 * MiB)
    expect((await scrape()).value('memory_leak_held_bytes')).toBe(20 * MiB)
  })
})
