import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createController, PressureController, type ControllerOptions } from '../../src/index.js'
import { gcSeam } from '../support/drive.js'
import { scriptedSource } from '../support/sources.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A started controller (timer + GC seam) on a scripted source; counts samples after the first. */
function started(options: ControllerOptions = {}, ratio = 0.3) {
  const clock = { t: 0 }
  const source = scriptedSource('fake', ratio)
  const seam = gcSeam()
  const pressure = createController({
    sources: [source],
    now: () => clock.t,
    subscribeGc: seam.subscribeGc,
    ...options,
  })
  const at: number[] = []
  pressure.on('sample', (s) => at.push(s.at))
  /** Advances the fake timers and the injected clock together. */
  const advance = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      clock.t++
      vi.advanceTimersByTime(1)
    }
  }
  return { pressure, source, seam, clock, at, advance }
}

describe('start', () => {
  it('takes the first sample synchronously, so the level is known as soon as the controller exists', () => {
    const { pressure, source } = started({}, 0.9)
    expect(source.reads).toBe(1)
    expect(pressure.level).toBe('critical')
    expect(pressure.lastSample).toMatchObject({ at: 0, ratio: 0.9 })
    pressure.close()
  })

  it('a bare PressureController starts at construction too: first sample, timer, GC observer', () => {
    const clock = { t: 0 }
    const source = scriptedSource('fake', 0.9)
    const seam = gcSeam()
    const pressure = new PressureController({
      sources: [source],
      now: () => clock.t,
      subscribeGc: seam.subscribeGc,
      intervalMs: 1000,
      fastIntervalMs: 25,
    })
    expect(source.reads).toBe(1)
    expect(pressure.level).toBe('critical')
    expect(pressure.lastSample).toMatchObject({ at: 0, ratio: 0.9, level: 'critical' })
    expect(seam.subscribed).toBe(1)
    clock.t = 25
    vi.advanceTimersByTime(25)
    expect(source.reads).toBe(2)
    seam.gc()
    expect(source.reads).toBe(3)
    pressure.close()
    expect(seam.unsubscribed).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a bare PressureController with autoStart: false waits for sample()', () => {
    const source = scriptedSource('fake', 0.9)
    const pressure = new PressureController({ sources: [source], autoStart: false })
    expect(source.reads).toBe(0)
    expect(pressure.lastSample).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
    pressure.sample()
    expect(pressure.level).toBe('critical')
    pressure.close()
  })

  it('autoStart: false starts nothing: no sample, no timer, no GC subscription', () => {
    const seam = gcSeam()
    const source = scriptedSource()
    const pressure = createController({ sources: [source], autoStart: false, subscribeGc: seam.subscribeGc })
    expect(source.reads).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    expect(seam.subscribed).toBe(0)
    vi.advanceTimersByTime(10_000)
    expect(source.reads).toBe(0)
    pressure.close()
  })

  it('sampleOnGc: false polls without subscribing to GCs', () => {
    const { pressure, seam, source, advance } = started({ sampleOnGc: false })
    expect(seam.subscribed).toBe(0)
    advance(1000)
    expect(source.reads).toBe(2)
    pressure.close()
  })

  it('a GC seam that throws on subscribe is reported; polling goes on', () => {
    const logger = { error: vi.fn() }
    const source = scriptedSource()
    const pressure = createController({
      sources: [source],
      now: () => 0,
      logger,
      subscribeGc: () => {
        throw new Error('no gc hooks here')
      },
    })
    expect(logger.error).toHaveBeenCalledWith(expect.any(Error), 'heapguard: no gc hooks here')
    vi.advanceTimersByTime(1000)
    expect(source.reads).toBe(2)
    pressure.close()
  })

  it('the poll timer is unref’d', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout')
    const { pressure } = started()
    const timers = spy.mock.results.map((r) => r.value as NodeJS.Timeout)
    spy.mockRestore()
    expect(timers.length).toBeGreaterThan(0)
    expect(timers.every((t) => t.hasRef() === false)).toBe(true)
    pressure.close()
  })
})

describe('timer zones', () => {
  it('polls every intervalMs below warning − 0.10 and every fastIntervalMs from there up', () => {
    const { pressure, source, at, advance } = started({ intervalMs: 1000, fastIntervalMs: 25 }, 0.3)
    advance(999)
    expect(at).toEqual([])
    advance(1)
    expect(at).toEqual([1000])
    source.ratio = 0.61 // in the fast zone (≥ 0.60); the timer learns it at the next sample
    advance(1000)
    expect(at).toEqual([1000, 2000])
    advance(100)
    expect(at).toEqual([1000, 2000, 2025, 2050, 2075, 2100])
    source.ratio = 0.59 // back below the fast zone: slow again after the next sample
    advance(25)
    expect(at.at(-1)).toBe(2125)
    advance(999)
    expect(at.at(-1)).toBe(2125)
    advance(1)
    expect(at.at(-1)).toBe(3125)
    pressure.close()
  })

  it('near a threshold, a climbing ratio is polled when it is expected to cross, not up to a period later', () => {
    const { pressure, source, clock, at, advance } = started({ intervalMs: 1000, fastIntervalMs: 25 }, 0.62)
    // 0.2 a second from t = 1010 on: the warning line (0.70) is crossed at t = 1410, between two 25 ms polls.
    const read = source.read.bind(source)
    source.read = () => {
      source.ratio = 0.62 + Math.max(0, clock.t - 1010) * 0.0002
      return read()
    }
    const changes: number[] = []
    pressure.on('level', (c) => changes.push(c.at))
    advance(1500)
    // Polls of 25 ms until the crossing is near, then sooner: seen within a few ms of it.
    expect(at.filter((t) => t < 1300).every((t, i, all) => i === 0 || t - all[i - 1]! === 25)).toBe(true)
    expect(changes[0]).toBeGreaterThanOrEqual(1410)
    expect(changes[0]).toBeLessThanOrEqual(1413)
    pressure.close()
  })

  it('stays fast above warning and at every level above it', () => {
    const { pressure, source, at, advance } = started({ intervalMs: 1000, fastIntervalMs: 50 }, 0.99)
    advance(200)
    expect(at).toEqual([50, 100, 150, 200])
    source.ratio = 0.8
    advance(100)
    expect(at.slice(4)).toEqual([250, 300])
    pressure.close()
  })

  it('intervalMs below the default fastIntervalMs: the fast poll defaults to intervalMs', () => {
    const { pressure, source, at, advance } = started({ intervalMs: 10 }, 0.3)
    advance(30)
    expect(at).toEqual([10, 20, 30])
    source.ratio = 0.9
    advance(30)
    expect(at).toEqual([10, 20, 30, 40, 50, 60])
    pressure.close()
  })

  it('the fast zone follows a custom warning threshold', () => {
    const { pressure, at, advance } = started(
      { thresholds: { warning: 0.4 }, hysteresis: 0.01, intervalMs: 1000, fastIntervalMs: 100 },
      0.31,
    )
    advance(300)
    expect(at).toEqual([100, 200, 300])
    pressure.close()
  })

  it('a manual or GC sample that enters the fast zone switches the timer at once', () => {
    const { pressure, source, seam, clock, at, advance } = started(
      { intervalMs: 1000, fastIntervalMs: 25, gcCoalesceMs: 0 },
      0.3,
    )
    advance(400)
    source.ratio = 0.75
    seam.gc(false) // sample at 400: fast zone from here
    expect(at).toEqual([400])
    advance(25)
    expect(at).toEqual([400, 425])
    source.ratio = 0.1
    clock.t = 430
    pressure.sample() // slow zone again: next timer sample 1000 ms after this one
    advance(990)
    expect(at).toEqual([400, 425, 430])
    advance(10)
    expect(at.at(-1)).toBe(1430)
    pressure.close()
  })

  it('a sample between timer ticks in the same zone does not move the timer', () => {
    const { pressure, at, advance } = started({ intervalMs: 1000 }, 0.3)
    advance(500)
    pressure.sample()
    advance(500)
    expect(at).toEqual([500, 1000])
    pressure.close()
  })
})

describe('GC-triggered sampling', () => {
  it('samples right after each GC when GCs are spaced more than gcCoalesceMs apart', () => {
    const { pressure, seam, at, advance } = started({ gcCoalesceMs: 5, intervalMs: 60_000, fastIntervalMs: 60_000 })
    for (let i = 0; i < 3; i++) {
      advance(10)
      seam.gc()
    }
    expect(at).toEqual([10, 20, 30])
    advance(100)
    expect(at).toEqual([10, 20, 30]) // no trailing sample after a lone GC
    pressure.close()
  })

  it('a burst of GCs within gcCoalesceMs gives one sample now and one trailing sample at the end of the window', () => {
    const { pressure, seam, at, advance } = started({ gcCoalesceMs: 5, intervalMs: 60_000, fastIntervalMs: 60_000 })
    advance(10)
    seam.gc() // t = 10: sampled at once
    seam.gc()
    advance(1)
    seam.gc()
    advance(1)
    seam.gc() // t = 12
    expect(at).toEqual([10])
    advance(3) // the window closes at 15
    expect(at).toEqual([10, 15])
    advance(100)
    expect(at).toEqual([10, 15])
    pressure.close()
  })

  it('the trailing sample carries a major GC seen in the burst, so its floor is recorded', () => {
    const { pressure, seam, advance } = started({ gcCoalesceMs: 5, intervalMs: 60_000, fastIntervalMs: 60_000 })
    advance(10)
    seam.gc(false)
    seam.gc(true)
    seam.gc(false)
    expect(pressure.trend().points).toBe(0)
    advance(5)
    expect(pressure.trend().points).toBe(1)
    pressure.close()
  })

  it('with gcCoalesceMs 0 every GC samples', () => {
    const { pressure, seam, at } = started({ gcCoalesceMs: 0, intervalMs: 60_000, fastIntervalMs: 60_000 })
    seam.gc()
    seam.gc()
    seam.gc()
    expect(at).toHaveLength(3)
    pressure.close()
  })
})

describe('close()', () => {
  it('stops the timers, disconnects the GC subscription, detaches listeners; idempotent', () => {
    const { pressure, seam, at, advance, source } = started({ gcCoalesceMs: 5 }, 0.3)
    const levels: unknown[] = []
    pressure.on('level', (c) => levels.push(c))
    pressure.force('warning', { forMs: 10_000 }) // arms the expiry timer
    seam.gc()
    seam.gc() // arms the trailing-sample timer
    expect(vi.getTimerCount()).toBe(3)
    const listener = seam.listeners[0]!
    pressure.close()
    expect(pressure.closed).toBe(true)
    expect(seam.unsubscribed).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
    const reads = source.reads
    advance(20_000)
    listener({ major: true }) // a GC notification that was already on its way
    expect(source.reads).toBe(reads)
    expect(at).toHaveLength(1)
    expect(() => pressure.close()).not.toThrow()
    expect(seam.unsubscribed).toBe(1)
    expect(levels).toHaveLength(1)
  })

  it('afterwards sample() and force() throw clearly; release() is a no-op; the last state stays readable', () => {
    const { pressure } = started({}, 0.9)
    pressure.force('emergency')
    pressure.close()
    expect(() => pressure.sample()).toThrow(new Error('heapguard: sample() called after close()'))
    expect(() => pressure.force('normal')).toThrow(new Error('heapguard: force() called after close()'))
    expect(() => pressure.release()).not.toThrow()
    expect(pressure.level).toBe('emergency')
    expect(pressure.ratio).toBe(0.9)
    expect(pressure.history()).toHaveLength(1)
  })

  it('an unsubscribe that throws is reported and close() still completes', () => {
    const logger = { error: vi.fn() }
    const pressure = createController({
      sources: [scriptedSource()],
      now: () => 0,
      logger,
      subscribeGc: () => () => {
        throw new Error('cannot disconnect')
      },
    })
    expect(() => pressure.close()).not.toThrow()
    expect(pressure.closed).toBe(true)
    expect(logger.error).toHaveBeenCalledWith(expect.any(Error), 'heapguard: cannot disconnect')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('close() from a listener during a timer sample stops the timer', () => {
    const { pressure, advance, source } = started({ intervalMs: 100 })
    pressure.on('sample', () => pressure.close())
    advance(100)
    expect(pressure.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    advance(1000)
    expect(source.reads).toBe(2)
  })
})
