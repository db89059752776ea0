import type { IntervalHistogram } from 'node:perf_hooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, defaultSources, eventLoopSource, type Controller } from '../../../src/index.js'

// The event-loop source with real blocking of this test's own loop. Bounds are physical: a loop
// blocked for 300 ms made its timers wait at least that long (less the histogram's resolution), so
// the reading must show it whatever the machine's load; upper bounds are only asserted where the
// loop stays free, and generously.

/** Every histogram the source creates (the real ones, watched to see `close()` disable them). */
const { histograms, resolutionOf } = vi.hoisted(() => ({
  histograms: [] as IntervalHistogram[],
  resolutionOf: new Map<IntervalHistogram, number | undefined>(),
}))
vi.mock('node:perf_hooks', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:perf_hooks')>()
  return {
    ...real,
    monitorEventLoopDelay: (options?: { resolution?: number }) => {
      const histogram = real.monitorEventLoopDelay(options)
      histograms.push(histogram)
      resolutionOf.set(histogram, options?.resolution)
      return histogram
    },
  }
})

const opened: Controller[] = []
afterEach(() => {
  for (const c of opened.splice(0)) c.close()
  vi.restoreAllMocks()
})

/** Keeps the loop busy (synchronously) for `ms`. */
function block(ms: number): void {
  const start = performance.now()
  while (performance.now() - start < ms) {
    // busy
  }
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('eventLoopSource()', () => {
  it('reads milliseconds of delay against maxDelayMs: 0 at first, then the longest wait since the previous reading', async () => {
    const source = eventLoopSource({ maxDelayMs: 500, resolutionMs: 10 })
    expect(source.name).toBe('event-loop')
    expect(source.read()).toEqual({ used: 0, limit: 500 })
    await pause(50)
    block(300)
    await pause(20)
    const { used, limit } = source.read()
    expect(limit).toBe(500)
    expect(used).toBeGreaterThanOrEqual(300 - 2 * 10 - 5)
    // Reset at each reading: the next one sees only what came after.
    await pause(50)
    expect(source.read().used).toBeLessThan(250)
    source.close?.()
  })

  it('sees a block that starts right after a reading (the histogram drops the first interval after a reset)', async () => {
    const source = eventLoopSource({ name: 'loop', maxDelayMs: 1000, resolutionMs: 10 })
    source.read()
    await pause(30)
    source.read()
    block(300) // before the histogram's first tick after its reset
    await pause(30)
    expect(source.read().used).toBeGreaterThanOrEqual(300 - 2 * 10 - 5)
    source.close?.()
  })

  it('shows a block that ends just before a reading (its tick not yet run) in the next reading', async () => {
    const source = eventLoopSource({ resolutionMs: 5 })
    source.read()
    await pause(30)
    block(300)
    const during = source.read().used
    await pause(30)
    const after = source.read().used
    expect(Math.max(during, after)).toBeGreaterThanOrEqual(300 - 5 - 5)
    source.close?.()
  })

  it('sees blocks right after each reading while the loop stays busy', async () => {
    const source = eventLoopSource({ resolutionMs: 10 })
    source.read()
    for (let i = 0; i < 5; i++) {
      await pause(15)
      const { used } = source.read() // each reading after the first shows the previous block, and resets
      if (i > 0) expect(used).toBeGreaterThanOrEqual(100 - 2 * 10 - 5)
      block(100) // right after the reset: the histogram's next interval is the probe's
    }
    source.close?.()
  })

  it('counts utilization only with maxUtilization, on the delay scale (utilization / maxUtilization × maxDelayMs)', async () => {
    const withUtilization = eventLoopSource({ maxDelayMs: 1000, maxUtilization: 0.5 })
    const delayOnly = eventLoopSource({ maxDelayMs: 1000 })
    withUtilization.read()
    delayOnly.read()
    // Busy for 1.2 s in 5 ms slices: the loop never idles, yet no timer waits long.
    const start = performance.now()
    while (performance.now() - start < 1200) {
      block(5)
      await new Promise((resolve) => setImmediate(resolve))
    }
    const busy = withUtilization.read()
    expect(busy.limit).toBe(1000)
    expect(busy.used).toBeGreaterThanOrEqual(1000) // utilization ≥ 0.5: ratio ≥ 1
    expect(busy.used).toBeLessThanOrEqual(2000 + 1) // utilization ≤ 1
    expect(delayOnly.read().used).toBeLessThan(500)
    withUtilization.close?.()
    delayOnly.close?.()
  })

  it('drives the levels and admission of a controller, and recovers when the loop is free again', async () => {
    const pressure = createController({
      sources: [eventLoopSource({ maxDelayMs: 200 })], // ticks every 10 ms
      autoStart: false,
      recoveryMs: 50,
      logger: {},
    })
    opened.push(pressure)
    pressure.sample()
    await pause(20)
    block(400)
    await pause(5)
    const sample = pressure.sample()
    expect(sample.sources['event-loop']!.ratio).toBeGreaterThanOrEqual(1)
    expect(pressure.level).toBe('emergency')
    expect(pressure.shed.admit('normal')).toBe(false)
    expect(pressure.shed.admit('critical')).toBe(true)
    // A free loop reads far below the exit lines: staged recovery, one level per recoveryMs.
    const deadline = performance.now() + 10_000
    while (pressure.level !== 'normal' && performance.now() < deadline) {
      await pause(20)
      pressure.sample()
    }
    expect(pressure.level).toBe('normal')
    expect(pressure.shed.admit('normal')).toBe(true)
  })

  it('is opt-in: never among the default sources', () => {
    expect(defaultSources().map((s) => s.name)).not.toContain('event-loop')
  })

  it('close() disables its histogram (also through the controller) and readings stop', async () => {
    const source = eventLoopSource()
    const pressure = createController({ sources: [source], autoStart: false, logger: {} })
    source.read() // starts the watch: the histogram exists from the first reading
    const histogram = histograms.at(-1)!
    const disable = vi.spyOn(histogram, 'disable')
    await pause(20)
    const last = source.read()
    pressure.close()
    pressure.close()
    source.close?.()
    expect(disable).toHaveBeenCalledTimes(1)
    block(200)
    expect(source.read()).toEqual(last)
  })

  it('ticks every maxDelayMs / 20 ms by default, within 10..100', () => {
    const resolutions = [100, 1000, 5000].map((maxDelayMs) => {
      const source = eventLoopSource({ maxDelayMs })
      source.read()
      source.close?.()
      return resolutionOf.get(histograms.at(-1)!)
    })
    expect(resolutions).toEqual([10, 50, 100])
  })

  it('creates nothing until its first reading', () => {
    const before = histograms.length
    const source = eventLoopSource()
    expect(histograms.length).toBe(before)
    source.read()
    expect(histograms.length).toBe(before + 1)
    source.close?.()
  })
})
