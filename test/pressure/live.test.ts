// Live memory: a level rests on what a major GC showed live, not on garbage nobody collected;
// the live check runs a full GC when none has come. Scripted heap readings, the GC seam, an
// injected `collect` and clock: no real GC, no real time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createController, type LevelChange, type LiveCheckOptions } from '../../src/index.js'
import { gcSeam } from '../support/drive.js'
import { scriptedSource } from '../support/sources.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A controller on a scripted `heap` source; samples only when the test says (the poll is 60 s). */
function setup(options: { liveCheck?: LiveCheckOptions } = {}) {
  const clock = { t: 0 }
  const seam = gcSeam()
  const heap = scriptedSource('heap', 0.3)
  const warn = vi.fn()
  const info = vi.fn()
  const collect = vi.fn((done: () => void) => {
    // A full GC: what is left is what the test says is live.
    heap.ratio = collected.live
    done()
  })
  const collected = { live: 0.3 }
  const pressure = createController({
    sources: [heap],
    now: () => clock.t,
    subscribeGc: seam.subscribeGc,
    intervalMs: 60_000,
    fastIntervalMs: 60_000,
    gcCoalesceMs: 0,
    recoveryMs: 1000,
    logger: { warn, info, error: vi.fn() },
    liveCheck: { collect, ...options.liveCheck },
  })
  const changes: LevelChange[] = []
  pressure.on('level', (c) => changes.push(c))
  /** The heap reads `ratio` at `at` (absolute ms); a sample. */
  const feed = (ratio: number, at: number) => {
    clock.t = at
    heap.ratio = ratio
    pressure.sample()
    return pressure.level
  }
  /** A major GC at `at` that leaves `live`: its notification samples at once. */
  const majorGc = (live: number, at: number) => {
    clock.t = at
    heap.ratio = live
    seam.gc(true)
    return pressure.level
  }
  return { pressure, clock, heap, seam, collect, collected, warn, info, changes, feed, majorGc }
}

describe('live memory: holding and leaving a level', () => {
  it('a level held only by garbage is left once a major GC shows what is live', () => {
    const { pressure, changes, feed, majorGc } = setup({ liveCheck: { afterMs: 1e9 } })
    expect(feed(0.9, 0)).toBe('critical')
    expect(majorGc(0.5, 100)).toBe('critical') // live: half the heap
    // Garbage brings the reading back above critical's exit line (0.80) but under its threshold.
    expect(feed(0.84, 200)).toBe('critical')
    expect(feed(0.84, 1099)).toBe('critical')
    expect(feed(0.84, 1100)).toBe('warning') // 1000 ms since the GC showed 0.5 live
    expect(changes.at(-1)).toMatchObject({
      from: 'critical',
      to: 'warning',
      cause: { kind: 'recovery', source: 'heap', live: 0.5, line: expect.closeTo(0.8), forMs: 1000 },
      reason: 'heap live 0.500 under the exit line of critical (0.8) for 1.0 s',
    })
    // At warning, 0.84 is above its threshold: held there, not left and entered again.
    expect(feed(0.84, 5000)).toBe('warning')
    expect(changes.map((c) => c.to)).toEqual(['critical', 'warning'])
    pressure.close()
  })

  it('before any major GC the live ratio is the ratio: the exit line rules as it always did', () => {
    const { pressure, feed } = setup({ liveCheck: { afterMs: 1e9 } })
    expect(feed(0.9, 0)).toBe('critical')
    expect(feed(0.84, 100)).toBe('critical')
    expect(feed(0.84, 5000)).toBe('critical') // 0.84 ≥ 0.80: held
    expect(feed(0.79, 5100)).toBe('critical')
    expect(feed(0.79, 6100)).toBe('warning')
    pressure.close()
  })

  it('a reading at or above the threshold holds the level whatever was live: garbage never makes it flap', () => {
    const { pressure, changes, feed, majorGc } = setup({ liveCheck: { afterMs: 1e9 } })
    feed(0.9, 0)
    majorGc(0.4, 100)
    for (let t = 200; t <= 10_000; t += 100) feed(t % 1000 === 0 ? 0.86 : 0.83, t)
    // Every second the reading touches 0.86 again: the dwell restarts, the level stays.
    expect(pressure.level).toBe('critical')
    expect(changes.map((c) => c.to)).toEqual(['critical'])
    pressure.close()
  })

  it('a garbage sawtooth slower than recoveryMs settles: a quick return doubles the dwell, which the damping forgets later', () => {
    // What is live stays at 0.57; garbage lifts the reading to 0.72 every 1.4 s (recoveryMs 1 s),
    // as the squeeze's guessed cache does: without damping, warning -> normal -> warning every period.
    const { pressure, changes, feed, majorGc } = setup({ liveCheck: { afterMs: 1e9 } })
    const peak = (at: number) => {
      feed(0.72, at) // the reading crosses warning (0.70)
      majorGc(0.57, at + 10) // what the next major GC leaves
    }
    for (let at = 0; at <= 14_000; at += 1400) {
      peak(at)
      for (let t = at + 100; t < at + 1400; t += 100) feed(0.6, t)
    }
    // Left once after 1 s, back 0.4 s later: from then on it holds for 2 s, longer than the period.
    expect(changes.map((c) => c.to)).toEqual(['warning', 'normal', 'warning'])
    expect(pressure.level).toBe('warning')
    // The sawtooth stops: the level leaves after the doubled dwell (2 s), not recoveryMs.
    // (The last peak was at 14 s; its major GC at 14.01 s.)
    expect(feed(0.6, 15_500)).toBe('warning')
    expect(feed(0.6, 15_900)).toBe('warning')
    expect(feed(0.6, 16_100)).toBe('normal')
    expect(changes.at(-1)!.reason).toBe('heap live 0.570 under the exit line of warning (0.65) for 2.1 s')
    // Away for more than twice that dwell: a return is new again, and leaves after recoveryMs.
    feed(0.72, 30_000)
    majorGc(0.57, 30_010)
    feed(0.6, 30_100)
    expect(feed(0.6, 31_200)).toBe('normal')
    pressure.close()
  })

  it('live memory that grows back holds the level: the next major GC shows it', () => {
    const { pressure, feed, majorGc } = setup({ liveCheck: { afterMs: 1e9 } })
    feed(0.9, 0)
    majorGc(0.5, 100)
    feed(0.84, 500)
    majorGc(0.82, 900) // live again above the exit line
    expect(feed(0.84, 1500)).toBe('critical')
    expect(feed(0.84, 3000)).toBe('critical')
    pressure.close()
  })
})

describe('the live check: a full GC when none has come', () => {
  it('runs one full GC when a level has been held with no major GC for afterMs, and the level then follows what survived', async () => {
    const { pressure, collect, collected, feed, changes } = setup({ liveCheck: { afterMs: 2000 } })
    collected.live = 0.2
    expect(feed(0.96, 0)).toBe('emergency')
    feed(0.96, 1999)
    expect(collect).not.toHaveBeenCalled()
    feed(0.96, 2000)
    expect(collect).toHaveBeenCalledTimes(1)
    await Promise.resolve() // the sample after the GC comes on its own turn
    expect(pressure.lastSample).toMatchObject({ at: 2000, ratio: 0.2 })
    // Staged recovery from there: each step needs its own recoveryMs.
    expect(feed(0.2, 3000)).toBe('critical')
    expect(feed(0.2, 4000)).toBe('warning')
    expect(feed(0.2, 5000)).toBe('normal')
    expect(changes.map((c) => c.cause.kind)).toEqual(['ratio', 'recovery', 'recovery', 'recovery'])
    expect(collect).toHaveBeenCalledTimes(1)
    pressure.close()
  })

  it('a GC V8 ran itself counts: no check while major GCs keep coming', () => {
    const { pressure, collect, feed, majorGc } = setup({ liveCheck: { afterMs: 2000 } })
    feed(0.9, 0)
    for (let t = 1000; t <= 20_000; t += 1000) {
      majorGc(0.88, t) // live memory really is high
      feed(0.9, t + 500)
    }
    expect(collect).not.toHaveBeenCalled()
    expect(pressure.level).toBe('critical')
    pressure.close()
  })

  it('an idle process whose trend projects the limit gets one check, and then the trend says what is live', async () => {
    const { pressure, collect, collected, feed, majorGc, heap } = setup({
      liveCheck: { afterMs: 5000, maxPauseMs: 1000 },
    })
    const limit = 256 * 2 ** 20 // the trend speaks bytes: 1 KiB/s is flat
    heap.read = () => ({ used: heap.ratio * limit, limit })
    // Under load: post-GC floors rise 0.2 → 0.4 over 20 s, and the reading carries garbage on top.
    for (let i = 0; i <= 4; i++) {
      majorGc(0.2 + i * 0.05, i * 5000)
      feed(0.55, i * 5000 + 2500)
    }
    // Then the load stops: no more major GCs, the garbage stays in the reading.
    feed(0.55, 21_000)
    expect(pressure.trend().msToLimit).not.toBeNull() // the garbage reads as growth
    collected.live = 0.4 // all that is live: the floor stopped rising when the load did
    expect(collect).not.toHaveBeenCalled()
    feed(0.55, 60_000) // the trend is looked at once per slow poll (60 s here)
    expect(collect).toHaveBeenCalledTimes(1)
    await Promise.resolve()
    feed(0.4, 65_000)
    expect(pressure.trend().msToLimit).toBeNull()
    expect(pressure.level).toBe('normal')
    pressure.close()
  })

  it('is rate-limited and backs off while the level stays: everyMs, then twice as long, back to everyMs at a change', async () => {
    const { pressure, collect, collected, feed } = setup({ liveCheck: { afterMs: 1000, everyMs: 10_000 } })
    collected.live = 0.9 // the memory really is live: each check confirms the level
    feed(0.9, 0)
    const checksAt: number[] = []
    collect.mockImplementation((done) => {
      checksAt.push(pressure.lastSample!.at)
      done()
    })
    for (let t = 1000; t <= 80_000; t += 1000) {
      feed(0.9, t)
      await Promise.resolve()
    }
    // After the sample the check takes, the next major GC was at the check itself: afterMs counts from there.
    expect(checksAt).toEqual([1000, 11_000, 31_000, 71_000])
    pressure.close()
  })

  it('is skipped, said once (logger.info), when its GC is expected to pause longer than maxPauseMs', () => {
    const { pressure, collect, warn, info, heap, feed } = setup({ liveCheck: { afterMs: 1000, maxPauseMs: 50 } })
    heap.read = () => ({ used: 200 * 2 ** 20, limit: 210 * 2 ** 20 }) // 200 MiB: two mark-compacts at the default 0.5 ms/MiB
    feed(0.95, 0)
    feed(0.95, 1000)
    feed(0.95, 60_000)
    expect(collect).not.toHaveBeenCalled()
    expect(warn).not.toHaveBeenCalled()
    const said = info.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('live check skipped'))
    expect(said).toEqual([
      'heapguard: live check skipped: a full GC of 200 MiB is expected to pause 200 ms, more than liveCheck.maxPauseMs (50); the level follows the GCs V8 runs',
    ])
    pressure.close()
  })

  it('never runs for a level an operator forced or a floor holds, nor at normal with a flat trend', () => {
    const { pressure, collect, feed, seam, clock } = setup({ liveCheck: { afterMs: 0 } })
    pressure.force('emergency')
    feed(0.3, 1000)
    pressure.release()
    expect(pressure.level).toBe('normal')
    feed(0.3, 2000)
    // A GC-effort floor: critical, the reading calm.
    const mc = (end: number) => ({
      major: true,
      entries: [{ kind: 'major' as const, start: end - 150, duration: 150 }],
      oldGeneration: { used: 80, limit: 100 },
    })
    clock.t = 2200
    seam.play(mc(2200))
    clock.t = 2400
    seam.play(mc(2400))
    expect(pressure.level).toBe('critical')
    feed(0.3, 3000)
    expect(collect).not.toHaveBeenCalled()
    pressure.close()
  })

  it('the collections of its own GC measure no effort and raise no floor', () => {
    const { pressure, seam, clock, feed, collect } = setup({ liveCheck: { afterMs: 0 } })
    // The check's GC arrives as thrashing mark-compacts: they must not count.
    collect.mockImplementation((done) => {
      for (const end of [clock.t + 200, clock.t + 400, clock.t + 600]) {
        seam.play({
          major: true,
          entries: [{ kind: 'major', start: end - 190, duration: 190 }],
          oldGeneration: { used: 90, limit: 100 },
        })
      }
      done()
    })
    feed(0.9, 0)
    expect(collect).toHaveBeenCalledTimes(1)
    expect(pressure.floors()).toEqual([])
    pressure.close()
  })

  it('a collect that throws is reported and the controller goes on; liveCheck: false never checks', () => {
    const errors: Error[] = []
    const { pressure, collect, feed } = setup({ liveCheck: { afterMs: 0 } })
    pressure.on('error', (e) => errors.push(e))
    collect.mockImplementation(() => {
      throw new Error('no GC here')
    })
    expect(() => feed(0.9, 0)).not.toThrow()
    expect(errors.map((e) => e.message)).toEqual(['heapguard: live check could not run a full GC (no GC here)'])
    pressure.close()

    const off = createController({ sources: [scriptedSource('heap', 0.9)], autoStart: false, liveCheck: false })
    off.sample()
    expect(off.level).toBe('critical')
    off.close()
  })

  it('checks its options: unknown keys, types and ranges, named', () => {
    const make = (liveCheck: unknown) => () =>
      createController({ autoStart: false, liveCheck: liveCheck as never }).close()
    expect(make({ afterMs: -1 })).toThrow(/createController: option `liveCheck.afterMs` must be .*-1/)
    expect(make({ everyMs: 'soon' })).toThrow(TypeError)
    expect(make({ maxPauseMs: NaN })).toThrow(/liveCheck.maxPauseMs/)
    expect(make({ collect: 1 })).toThrow(/option `liveCheck.collect` must be a function/)
    expect(make({ every: 1 })).toThrow(/unknown option `liveCheck.every`|`every`/)
    expect(make(true)).toThrow(/option `liveCheck` must be an object or false, got true/)
    expect(make(undefined)).not.toThrow()
  })
})
