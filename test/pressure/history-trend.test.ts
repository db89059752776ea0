import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, type Source } from '../../src/index.js'
import { drive, gcSeam } from '../support/drive.js'
import { MiB } from '../support/sources.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('history()', () => {
  it('keeps the last historySize samples, oldest first', () => {
    const { pressure, feed } = drive({ historySize: 3 })
    for (let i = 1; i <= 5; i++) feed(i / 10, i)
    expect(pressure.history().map((s) => [s.at, s.ratio])).toEqual([
      [3, 0.3],
      [4, 0.4],
      [5, 0.5],
    ])
    expect(pressure.lastSample).toMatchObject({ at: 5, ratio: 0.5 })
  })

  it('returns the samples that sample() returned and "sample" carried', () => {
    const { pressure, feed, samples } = drive()
    const returned = [feed(0.1, 1), feed(0.9, 2)]
    expect(pressure.history()).toEqual(returned)
    expect(samples).toEqual(returned)
    expect(pressure.history()[1]).toBe(returned[1])
  })

  it('returns a copy: changing it changes nothing inside', () => {
    const { pressure, feed } = drive()
    feed(0.1, 1)
    pressure.history().length = 0
    expect(pressure.history()).toHaveLength(1)
  })

  it('holds 600 samples by default', () => {
    const { pressure, feed } = drive()
    for (let i = 0; i < 700; i++) feed(0.1, i)
    const h = pressure.history()
    expect(h).toHaveLength(600)
    expect(h[0]!.at).toBe(100)
    expect(h[599]!.at).toBe(699)
  })

  it('transitions() and transitionCounts() record every effective change', () => {
    const { pressure, feed } = drive({ recoveryMs: 0 })
    feed(0.9, 1)
    feed(0.1, 2)
    pressure.force('emergency')
    expect(pressure.transitions().map((c) => c.to)).toEqual(['critical', 'warning', 'emergency'])
    expect(pressure.transitionCounts()).toEqual({ normal: 0, warning: 1, critical: 1, emergency: 1 })
  })
})

/**
 * A controller whose GC notifications the test plays: a scripted heap source, an injected clock,
 * and the `subscribeGc` seam. The poll interval is long and timers are fake, so every sample
 * after the first comes from a played GC.
 */
function withGc(limit = 200 * MiB, extraSources: Source[] = []) {
  vi.useFakeTimers()
  const clock = { t: 0 }
  const heap = { used: 10 * MiB }
  const seam = gcSeam()
  const pressure = createController({
    sources: [...extraSources, { name: 'heap', read: () => ({ used: heap.used, limit }) }],
    now: () => clock.t,
    intervalMs: 60_000,
    fastIntervalMs: 60_000,
    gcCoalesceMs: 0,
    subscribeGc: seam.subscribeGc,
  })
  /** A major GC at time `at` that leaves `used` bytes. */
  const floor = (at: number, used: number, major = true) => {
    clock.t = at
    heap.used = used
    seam.gc(major)
  }
  return { pressure, floor, seam, clock, heap }
}

describe('trend(): the post-GC floor', () => {
  it('knows nothing before the first major GC', () => {
    const { pressure } = withGc()
    expect(pressure.trend()).toEqual({ floor: null, growthBytesPerSec: null, msToLimit: null, points: 0 })
    pressure.close()
  })

  it('a rising floor gives its growth rate and the time to the limit by plain arithmetic', () => {
    const { pressure, floor } = withGc(200 * MiB)
    // 100 MiB + 1 MiB per second, one major GC a second, for 10 s.
    for (let i = 0; i < 10; i++) floor(1000 + i * 1000, 100 * MiB + i * MiB)
    const trend = pressure.trend()
    expect(trend.points).toBe(10)
    expect(trend.floor).toBe(109 * MiB)
    expect(trend.growthBytesPerSec).toBeCloseTo(MiB, 6)
    // (200 − 109) MiB left at 1 MiB/s = 91 s
    expect(trend.msToLimit).toBeCloseTo(91_000, 3)
    pressure.close()
  })

  it('fits a noisy rising floor by least squares', () => {
    const { pressure, floor } = withGc(1024 * MiB)
    const noise = [3, -2, 1, -3, 2, 0, -1, 3, -2, 1] // KiB, mean 0.2
    for (let i = 0; i < 10; i++) floor(i * 2000, 300 * MiB + i * 4 * MiB + noise[i]! * 1024)
    const { growthBytesPerSec, msToLimit } = pressure.trend()
    expect(growthBytesPerSec! / (2 * MiB)).toBeCloseTo(1, 2) // 4 MiB per 2 s
    expect(msToLimit! / 1000).toBeCloseTo((1024 - 336) / 2, 0)
    pressure.close()
  })

  it('a flat floor has ~0 growth and no time to limit', () => {
    const { pressure, floor } = withGc()
    for (let i = 0; i < 10; i++) floor(i * 1000, 50 * MiB + (i % 2) * 512) // ±512 B of noise
    const trend = pressure.trend()
    expect(Math.abs(trend.growthBytesPerSec!)).toBeLessThan(1024)
    expect(trend.msToLimit).toBeNull()
    pressure.close()
  })

  it('a falling floor has negative growth and no time to limit', () => {
    const { pressure, floor } = withGc()
    for (let i = 0; i < 10; i++) floor(i * 1000, 150 * MiB - i * MiB)
    const trend = pressure.trend()
    expect(trend.growthBytesPerSec).toBeCloseTo(-MiB, 6)
    expect(trend.msToLimit).toBeNull()
    pressure.close()
  })

  it('too few points, or points too close together, give no estimate', () => {
    const { pressure, floor } = withGc()
    floor(0, 10 * MiB)
    floor(5000, 20 * MiB)
    expect(pressure.trend()).toEqual({ floor: 20 * MiB, growthBytesPerSec: null, msToLimit: null, points: 2 })
    const second = withGc()
    for (let i = 0; i < 5; i++) second.floor(i * 100, (10 + i) * MiB) // 400 ms in all
    expect(second.pressure.trend()).toMatchObject({ growthBytesPerSec: null, msToLimit: null, points: 5 })
    pressure.close()
    second.pressure.close()
  })

  it('a floor already past the limit is 0 ms from it', () => {
    const { pressure, floor } = withGc(100 * MiB)
    for (let i = 0; i < 4; i++) floor(i * 1000, 98 * MiB + i * MiB)
    expect(pressure.trend().msToLimit).toBe(0)
    pressure.close()
  })

  it('minor GCs, timer samples and manual samples record no floor', () => {
    const { pressure, floor, clock } = withGc()
    floor(0, 10 * MiB, false)
    floor(1000, 11 * MiB, false)
    clock.t = 2000
    pressure.sample()
    vi.advanceTimersByTime(60_000)
    expect(pressure.trend().points).toBe(0)
    floor(3000, 12 * MiB, true)
    expect(pressure.trend()).toMatchObject({ points: 1, floor: 12 * MiB })
    pressure.close()
  })

  it('reads the floor from the source named heap, not from the one with the highest ratio', () => {
    const rss = { name: 'rss', read: () => ({ used: 900, limit: 1000 }) }
    const { pressure, floor } = withGc(200 * MiB, [rss])
    for (let i = 0; i < 3; i++) floor(i * 1000, (20 + i) * MiB)
    expect(pressure.trend()).toMatchObject({ floor: 22 * MiB, points: 3 })
    expect(pressure.trend().growthBytesPerSec).toBeCloseTo(MiB, 6)
    pressure.close()
  })

  it('keeps the last 32 floors: an old slope is forgotten', () => {
    const { pressure, floor } = withGc(1024 * MiB)
    // 20 s of steep growth, then 40 s flat: only flat points remain.
    let used = 100 * MiB
    for (let i = 0; i < 20; i++) floor(i * 1000, (used += 10 * MiB))
    for (let i = 20; i < 60; i++) floor(i * 1000, used)
    expect(pressure.trend().points).toBe(32)
    expect(pressure.trend().growthBytesPerSec).toBe(0)
    expect(pressure.trend().msToLimit).toBeNull()
    pressure.close()
  })
})

describe('trend(): ageing by the controller clock (issue 16)', () => {
  const MINUTE = 60_000
  /** A burst: 10 major GCs a second apart, the floor rising 1 MiB/s from 100 MiB (ends at t = 9 s, 109 MiB). */
  function burst(limit = 200 * MiB) {
    const run = withGc(limit)
    for (let i = 0; i < 10; i++) run.floor(i * 1000, 100 * MiB + i * MiB)
    return run
  }
  /** A sample with no GC (the poll timer's) at `at`, with the heap at `used`. */
  const poll = (run: ReturnType<typeof withGc>, at: number, used: number) => {
    run.clock.t = at
    run.heap.used = used
    run.pressure.sample()
  }

  it('after a burst, an idle heap with no major GC reads as no growth, not as the burst projection', () => {
    const run = burst()
    expect(run.pressure.trend().msToLimit).toBeCloseTo(91_000, 3)
    // Three minutes of polls, the heap where the last major GC left it, no major GC.
    for (let at = 10_000; at <= 9000 + 3 * MINUTE; at += 1000) poll(run, at, 109 * MiB)
    const trend = run.pressure.trend()
    expect(trend.growthBytesPerSec).toBe(0)
    expect(trend.msToLimit).toBeNull()
    expect(trend).toMatchObject({ floor: 109 * MiB, points: 10 })
    run.pressure.close()
  })

  it('the heap growth since the last floor caps the growth: the floor cannot have grown faster than the heap', () => {
    const run = burst()
    // 60 s later the heap is 6 MiB above the last floor: the floor grew 0.1 MiB/s at most, not 1 MiB/s.
    poll(run, 69_000, 115 * MiB)
    const trend = run.pressure.trend()
    expect(trend.growthBytesPerSec).toBeCloseTo(0.1 * MiB, 6)
    // (200 − 115) MiB left at 0.1 MiB/s
    expect(trend.msToLimit).toBeCloseTo(850_000, 3)
    // A heap that grew faster than the fit leaves the fit alone.
    poll(run, 70_000, 190 * MiB)
    expect(run.pressure.trend().growthBytesPerSec).toBeCloseTo(MiB, 6)
    run.pressure.close()
  })

  it('a projection counts down with the clock', () => {
    const run = burst()
    expect(run.pressure.trend().msToLimit).toBeCloseTo(91_000, 3)
    run.clock.t = 19_000 // 10 s later, no sample since the last floor
    expect(run.pressure.trend().msToLimit).toBeCloseTo(81_000, 3)
    run.clock.t = 200_000
    expect(run.pressure.trend().msToLimit).toBe(0)
    run.pressure.close()
  })

  it('floors older than 10 minutes are dropped: the projection ages out, the last floor stays', () => {
    const run = burst()
    run.clock.t = 5000 + 10 * MINUTE // the floors of t = 0…4 s are older than 10 minutes
    expect(run.pressure.trend()).toMatchObject({ points: 5, floor: 109 * MiB })
    run.clock.t = 9001 + 10 * MINUTE
    expect(run.pressure.trend()).toEqual({ floor: 109 * MiB, growthBytesPerSec: null, msToLimit: null, points: 0 })
    run.pressure.close()
  })

  it('with the floors aged out, a heap that stayed flat still reads as no growth; one that grew reads as unknown', () => {
    const run = burst()
    poll(run, 20 * MINUTE, 109 * MiB)
    expect(run.pressure.trend()).toMatchObject({ growthBytesPerSec: 0, msToLimit: null, points: 0 })
    poll(run, 21 * MINUTE, 150 * MiB)
    expect(run.pressure.trend()).toMatchObject({ growthBytesPerSec: null, msToLimit: null, points: 0 })
    run.pressure.close()
  })

  it('a new major GC starts a new trend from the floors still in the window', () => {
    const run = burst()
    for (let i = 0; i < 3; i++) run.floor(20 * MINUTE + i * 1000, (120 + 2 * i) * MiB)
    const trend = run.pressure.trend()
    expect(trend.points).toBe(3)
    expect(trend.growthBytesPerSec).toBeCloseTo(2 * MiB, 6)
    run.pressure.close()
  })
})
