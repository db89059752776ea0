import { describe, expect, it } from 'vitest'
import { createController, LEVELS, type Level } from '../../src/index.js'
import { drive } from '../support/drive.js'

describe('thresholds', () => {
  it('exposes the levels in order', () => {
    expect(LEVELS).toEqual(['normal', 'warning', 'critical', 'emergency'])
    expect(Object.isFrozen(LEVELS)).toBe(true)
  })

  it.each([
    [0, 'normal'],
    [0.6999, 'normal'],
    [0.7, 'warning'],
    [0.8499, 'warning'],
    [0.85, 'critical'],
    [0.9499, 'critical'],
    [0.95, 'emergency'],
    [1, 'emergency'],
    [1.7, 'emergency'],
  ] as [number, Level][])('with the default thresholds a ratio of %d gives %s', (ratio, level) => {
    const { pressure, feed } = drive()
    expect(feed(ratio).level).toBe(level)
    expect(pressure.level).toBe(level)
    expect(pressure.measuredLevel).toBe(level)
    expect(pressure.ratio).toBe(ratio)
  })

  it('merges partial thresholds over the defaults', () => {
    const { pressure, feed } = drive({ thresholds: { warning: 0.5 } })
    expect(pressure.thresholds).toEqual({ warning: 0.5, critical: 0.85, emergency: 0.95 })
    expect(feed(0.49).level).toBe('normal')
    expect(feed(0.5).level).toBe('warning')
    expect(feed(0.85).level).toBe('critical')
  })

  it('takes the maximum ratio over the sources and keeps each source figure in the sample', () => {
    let heap = 0.3
    let rss = 0.75
    const pressure = createController({
      autoStart: false,
      now: () => 0,
      sources: [
        { name: 'heap', read: () => ({ used: heap * 200, limit: 200 }) },
        { name: 'rss', read: () => ({ used: rss * 400, limit: 400 }) },
      ],
    })
    const s = pressure.sample()
    expect(s.ratio).toBeCloseTo(0.75)
    expect(s.level).toBe('warning')
    expect(s.sources).toEqual({
      heap: { used: 60, limit: 200, ratio: 0.3 },
      rss: { used: 300, limit: 400, ratio: 0.75 },
    })
    heap = 0.9
    rss = 0.1
    expect(pressure.sample().ratio).toBeCloseTo(0.9)
    expect(pressure.level).toBe('critical')
  })

  it('starts at normal with ratio 0 and no sample', () => {
    const { pressure } = drive()
    expect(pressure.level).toBe('normal')
    expect(pressure.ratio).toBe(0)
    expect(pressure.lastSample).toBeUndefined()
    expect(pressure.history()).toEqual([])
  })
})

describe('escalation', () => {
  it('goes from normal to emergency in one sample, with one event', () => {
    const { pressure, feed, changes } = drive()
    feed(0.96, 10)
    expect(pressure.level).toBe('emergency')
    expect(changes).toEqual([
      {
        from: 'normal',
        to: 'emergency',
        at: 10,
        ratio: 0.96,
        forced: false,
        reason: 'fake 0.960 reached emergency (0.95)',
        cause: { kind: 'ratio', source: 'fake', ratio: 0.96, threshold: 0.95 },
      },
    ])
  })

  it('skips levels from warning too, and emits only on a change of level', () => {
    const { feed, changes, samples } = drive()
    feed(0.71, 1)
    feed(0.72, 2)
    feed(0.99, 3)
    feed(0.99, 4)
    expect(changes.map((c) => [c.from, c.to, c.at])).toEqual([
      ['normal', 'warning', 1],
      ['warning', 'emergency', 3],
    ])
    expect(samples.map((s) => s.level)).toEqual(['warning', 'warning', 'emergency', 'emergency'])
  })

  it('escalates immediately even in the middle of a recovery dwell', () => {
    const { pressure, feed } = drive({ recoveryMs: 1000 })
    feed(0.9, 0)
    feed(0.1, 100)
    feed(0.1, 1099)
    expect(pressure.level).toBe('critical')
    feed(0.96, 1099.5)
    expect(pressure.level).toBe('emergency')
  })
})

describe('staged recovery', () => {
  it('steps down one level per recoveryMs, each step exactly when due, so emergency → normal takes 3 × recoveryMs', () => {
    const recoveryMs = 1000
    const { feed, changes } = drive({ recoveryMs })
    feed(0.99, 0)
    // From t = 100 the ratio sits far below every exit line; sample every millisecond.
    const firstBelow = 100
    for (let t = firstBelow; t <= 3500; t++) feed(0.1, t)
    const down = changes.slice(1)
    expect(down.map((c) => [c.from, c.to, c.at])).toEqual([
      ['emergency', 'critical', firstBelow + recoveryMs],
      ['critical', 'warning', firstBelow + 2 * recoveryMs],
      ['warning', 'normal', firstBelow + 3 * recoveryMs],
    ])
    expect(down.at(-1)!.at - firstBelow).toBeGreaterThanOrEqual(3 * recoveryMs)
    expect(down.every((c) => c.forced === false)).toBe(true)
  })

  it('with sparse samples, steps at the first sample after the dwell and restarts the dwell there', () => {
    const { pressure, feed, changes } = drive({ recoveryMs: 5000 })
    feed(0.9, 0)
    feed(0.1, 1000) // dwell starts
    feed(0.1, 5999)
    expect(pressure.level).toBe('critical')
    feed(0.1, 6500) // due since 6000: steps now, and the next dwell counts from 6500
    expect(pressure.level).toBe('warning')
    feed(0.1, 11_499)
    expect(pressure.level).toBe('warning')
    feed(0.1, 11_500)
    expect(pressure.level).toBe('normal')
    expect(changes.map((c) => c.at)).toEqual([0, 6500, 11_500])
  })

  it('restarts the dwell at every transition even when the ratio was already below the lower exit line', () => {
    const { pressure, feed } = drive({ recoveryMs: 1000 })
    feed(0.9, 0)
    feed(0.2, 0) // below critical's and warning's exit lines from t = 0
    feed(0.2, 1000)
    expect(pressure.level).toBe('warning')
    feed(0.2, 1999)
    expect(pressure.level).toBe('warning') // not normal: warning needs its own full dwell
    feed(0.2, 2000)
    expect(pressure.level).toBe('normal')
  })

  it('starts the next dwell only once the ratio is below the new level’s exit line', () => {
    const { pressure, feed } = drive({ recoveryMs: 1000 })
    feed(0.9, 0)
    feed(0.75, 0) // below critical's exit line (0.80), above warning's (0.65)
    feed(0.75, 1000)
    expect(pressure.level).toBe('warning')
    feed(0.75, 5000)
    expect(pressure.level).toBe('warning')
    feed(0.5, 6000) // the dwell for warning starts here
    feed(0.5, 6999)
    expect(pressure.level).toBe('warning')
    feed(0.5, 7000)
    expect(pressure.level).toBe('normal')
  })

  it('resets the dwell when a sample comes back at or above the exit line', () => {
    const { pressure, feed, changes } = drive({ recoveryMs: 1000 })
    feed(0.9, 0)
    feed(0.5, 100) // dwell starts
    feed(0.5, 1000)
    feed(0.82, 1050) // back above critical's exit line (0.80), still below the threshold: dwell reset
    expect(pressure.level).toBe('critical')
    feed(0.5, 1100) // dwell starts again here
    feed(0.5, 2099)
    expect(pressure.level).toBe('critical')
    feed(0.5, 2100)
    expect(pressure.level).toBe('warning')
    expect(changes.map((c) => [c.to, c.at])).toEqual([
      ['critical', 0],
      ['warning', 2100],
    ])
  })

  it('treats a ratio exactly on the exit line as not below it', () => {
    // 0.75 − 0.25 = 0.5 exactly in binary floating point.
    const { pressure, feed } = drive({ thresholds: { warning: 0.75 }, hysteresis: 0.25, recoveryMs: 10 })
    feed(0.8, 0)
    for (let t = 1; t <= 100; t++) feed(0.5, t)
    expect(pressure.level).toBe('warning')
    feed(0.4999, 101)
    feed(0.4999, 111)
    expect(pressure.level).toBe('normal')
  })

  it('with recoveryMs 0 steps down one level per sample', () => {
    const { feed } = drive({ recoveryMs: 0 })
    feed(0.99, 0)
    expect([feed(0.1, 1).level, feed(0.1, 1).level, feed(0.1, 1).level, feed(0.1, 1).level]).toEqual([
      'critical',
      'warning',
      'normal',
      'normal',
    ])
  })
})

describe('hysteresis band', () => {
  it.each([
    ['warning', 0.7],
    ['critical', 0.85],
    ['emergency', 0.95],
  ] as const)('a ratio oscillating ±0.02 around the %s threshold makes at most one transition', (level, threshold) => {
    // recoveryMs 0: any sample below the exit line would step down at once, so only the band holds the level.
    const { pressure, feed, changes } = drive({ recoveryMs: 0 })
    // Start one level below, settled.
    const below = LEVELS[LEVELS.indexOf(level) - 1]!
    if (below !== 'normal') {
      feed(threshold - 0.02, 0)
      changes.length = 0
    }
    for (let i = 0; i < 200; i++) feed(threshold + (i % 2 === 0 ? 0.02 : -0.02), 1000 * (i + 1))
    expect(changes).toHaveLength(1)
    expect(changes[0]).toMatchObject({ from: below, to: level })
    expect(pressure.level).toBe(level)
  })

  it('a ratio oscillating around a threshold with no hysteresis flaps (the band is what prevents it)', () => {
    const { feed, changes } = drive({ recoveryMs: 0, hysteresis: 0 })
    for (let i = 0; i < 10; i++) feed(0.7 + (i % 2 === 0 ? 0.02 : -0.02), 1000 * (i + 1))
    expect(changes).toHaveLength(10)
  })
})
