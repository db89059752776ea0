import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createController, PressureController } from '../../src/index.js'
import { fill } from '../caches/helpers.js'
import { drive } from '../support/drive.js'
import { scriptedSource } from '../support/sources.js'

// Contract §8: configure() changes the named options on a live controller, checked exactly as at
// construction; a bad value changes nothing and throws; the next sample uses them.

describe('configure(): the level rules', () => {
  it('new thresholds apply from the next sample; a partial object keeps the rest', () => {
    const { pressure, feed, changes } = drive()
    feed(0.6)
    expect(pressure.level).toBe('normal')
    pressure.configure({ thresholds: { warning: 0.55 } })
    expect(pressure.thresholds).toEqual({ warning: 0.55, critical: 0.85, emergency: 0.95 })
    expect(pressure.level).toBe('normal') // nothing until the next sample
    feed(0.6)
    expect(pressure.level).toBe('warning')
    pressure.configure({ thresholds: { critical: 0.58 } }) // merged over what was configured before
    expect(pressure.thresholds).toEqual({ warning: 0.55, critical: 0.58, emergency: 0.95 })
    feed(0.6)
    expect(pressure.level).toBe('critical')
    expect(changes.map((c) => c.to)).toEqual(['warning', 'critical'])
    pressure.close()
  })

  it('a new hysteresis moves the exit line; a new recoveryMs the dwell, for the dwell in progress too', () => {
    const { pressure, feed } = drive({ recoveryMs: 10_000 })
    feed(0.75, 0)
    expect(pressure.level).toBe('warning')
    feed(0.67, 1) // above the exit line 0.65: no dwell
    pressure.configure({ hysteresis: 0.02 }) // exit line 0.68
    feed(0.67, 2) // dwell starts
    feed(0.67, 5000)
    expect(pressure.level).toBe('warning')
    pressure.configure({ recoveryMs: 1000 })
    expect(pressure.recoveryMs).toBe(1000)
    expect(pressure.hysteresis).toBe(0.02)
    feed(0.67, 5001)
    expect(pressure.level).toBe('normal')
    pressure.close()
  })

  it('a bare PressureController has configure() for the level rules only', () => {
    const pressure = new PressureController({ sources: [scriptedSource('fake', 0.6)], autoStart: false })
    pressure.configure({ thresholds: { warning: 0.5 } })
    pressure.sample()
    expect(pressure.level).toBe('warning')
    expect(() => pressure.configure({ cachePolicy: {} } as never)).toThrow(
      /^configure: unknown option `cachePolicy` \(known: thresholds, hysteresis, recoveryMs, intervalMs, fastIntervalMs\)$/,
    )
    pressure.close()
  })
})

describe('configure(): the poll', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a new intervalMs or fastIntervalMs re-arms the timer at once', () => {
    const source = scriptedSource('fake', 0.1)
    const pressure = createController({ sources: [source], sampleOnGc: false, intervalMs: 1000 })
    const reads = () => source.reads - 1 // the first sample is taken at construction
    vi.advanceTimersByTime(3000)
    expect(reads()).toBe(3)
    pressure.configure({ intervalMs: 100 })
    vi.advanceTimersByTime(1000)
    expect(reads()).toBe(13)
    // In the fast zone (from warning − 0.10 up) the fast interval applies.
    source.ratio = 0.65
    vi.advanceTimersByTime(100)
    pressure.configure({ fastIntervalMs: 50 })
    const before = reads()
    vi.advanceTimersByTime(500)
    expect(reads() - before).toBe(10)
    // The fast zone follows new thresholds too: warning 0.9 puts 0.65 well below it again.
    pressure.configure({ thresholds: { warning: 0.9, critical: 0.95, emergency: 0.99 } })
    const slow = reads()
    vi.advanceTimersByTime(1000)
    expect(reads() - slow).toBe(10)
    pressure.close()
  })

  it('fastIntervalMs that was never set follows a shorter intervalMs down, as at construction', () => {
    const { pressure } = drive()
    pressure.configure({ intervalMs: 10 })
    const explicit = drive({ fastIntervalMs: 25 }).pressure
    expect(() => explicit.configure({ intervalMs: 10 })).toThrow(
      new RangeError('configure: option `fastIntervalMs` (25) must not exceed `intervalMs` (10)'),
    )
    pressure.close()
    explicit.close()
  })
})

describe('configure(): the cache policy and regrowth', () => {
  it('a new policy resizes the caches at once, under the reference rule; a partial policy keeps the rest', () => {
    const { pressure } = drive()
    const users = pressure.caches.lru<string, string>('users', { max: 1000 })
    const extras = pressure.caches.lru<string, string>('extras', { max: 100, priority: 'optional' })
    fill(users, 800)
    fill(extras, 100)
    pressure.force('warning')
    expect(users.capacity).toBe(600) // 0.75 × the 800 held
    pressure.configure({ cachePolicy: { warning: { normal: 0.5 } } })
    expect(users.capacity).toBe(400) // 0.5 × the same frozen reference
    expect(users.size).toBe(400)
    expect(extras.capacity).toBe(50) // unchanged: optional at warning is still 0.5
    expect(pressure.caches.policy.warning).toEqual({ essential: 1, normal: 0.5, optional: 0.5 })
    pressure.configure({ cachePolicy: { critical: { essential: 0.1 } } })
    expect(pressure.caches.policy.warning.normal).toBe(0.5) // merged over the policy in force
    expect(pressure.caches.policy.critical.essential).toBe(0.1)
    pressure.close()
  })
})

describe('configure(): bad input changes nothing', () => {
  function snapshot(pressure: ReturnType<typeof drive>['pressure']) {
    return {
      thresholds: pressure.thresholds,
      hysteresis: pressure.hysteresis,
      recoveryMs: pressure.recoveryMs,
      policy: pressure.caches.policy,
      regrowMs: pressure.caches.regrowMs,
    }
  }

  const cases: [string, unknown, ErrorConstructor, string][] = [
    [
      'unknown key',
      { intervalMS: 5 },
      TypeError,
      'configure: unknown option `intervalMS` (known: thresholds, hysteresis, recoveryMs, intervalMs, fastIntervalMs, cachePolicy, regrowMs)',
    ],
    ['not an object', 5, TypeError, 'configure: options must be an object, got 5 (number)'],
    ['mode is not tunable here', { mode: 'observe' }, TypeError, 'configure: unknown option `mode`'],
    [
      'thresholds not increasing',
      { thresholds: { warning: 0.9 } },
      RangeError,
      'configure: option `thresholds` must be strictly increasing (warning < critical < emergency), got warning 0.9, critical 0.85, emergency 0.95',
    ],
    [
      'a threshold above 1',
      { thresholds: { emergency: 1.5 } },
      RangeError,
      'configure: option `thresholds.emergency` must be a finite number > 0 and <= 1, got 1.5 (number)',
    ],
    [
      'thresholds not an object',
      { thresholds: 0.7 },
      TypeError,
      'configure: option `thresholds` must be an object, got 0.7 (number)',
    ],
    [
      'an unknown threshold',
      { thresholds: { alarm: 0.5 } },
      TypeError,
      'configure: unknown key in option `thresholds` `alarm`',
    ],
    [
      'hysteresis at warning',
      { hysteresis: 0.7 },
      RangeError,
      'configure: option `hysteresis` must be below thresholds.warning (0.7), got 0.7',
    ],
    [
      'hysteresis a string',
      { hysteresis: '0.1' },
      TypeError,
      'configure: option `hysteresis` must be a finite number >= 0, got "0.1" (string)',
    ],
    [
      'negative recoveryMs',
      { recoveryMs: -1 },
      RangeError,
      'configure: option `recoveryMs` must be a finite number >= 0, got -1 (number)',
    ],
    [
      'zero intervalMs',
      { intervalMs: 0 },
      RangeError,
      'configure: option `intervalMs` must be a finite number > 0 and <= 2147483647, got 0 (number)',
    ],
    [
      'fastIntervalMs above intervalMs',
      { fastIntervalMs: 5000 },
      RangeError,
      'configure: option `fastIntervalMs` (5000) must not exceed `intervalMs` (1000)',
    ],
    [
      'a multiplier above 1',
      { cachePolicy: { warning: { normal: 2 } } },
      RangeError,
      'configure: option `cachePolicy.warning.normal` must be a finite number >= 0 and <= 1, got 2 (number)',
    ],
    [
      'an unknown level in the policy',
      { cachePolicy: { panic: {} } },
      TypeError,
      'configure: unknown key in cachePolicy `panic`',
    ],
    [
      'negative regrowMs',
      { regrowMs: -5 },
      RangeError,
      'configure: option `regrowMs` must be a finite number >= 0 and <= 2147483647, got -5 (number)',
    ],
    // One bad value among good ones: the good ones do not apply either.
    [
      'good thresholds, bad policy',
      { thresholds: { warning: 0.5 }, cachePolicy: { normal: { optional: -1 } } },
      RangeError,
      'configure: option `cachePolicy.normal.optional` must be a finite number >= 0 and <= 1, got -1 (number)',
    ],
    [
      'good policy, bad hysteresis',
      { cachePolicy: { warning: { normal: 0.1 } }, regrowMs: 0, hysteresis: -1 },
      RangeError,
      'configure: option `hysteresis` must be a finite number >= 0, got -1 (number)',
    ],
  ]

  it.each(cases)('%s', (_, options, ErrorClass, message) => {
    const { pressure, feed } = drive()
    const cache = pressure.caches.lru<string, string>('c', { max: 100 })
    fill(cache, 100)
    pressure.force('warning')
    const before = snapshot(pressure)
    let thrown: unknown
    try {
      pressure.configure(options as never)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ErrorClass)
    expect((thrown as Error).constructor).toBe(ErrorClass)
    expect((thrown as Error).message).toContain(message)
    expect(snapshot(pressure)).toEqual(before)
    expect(cache.capacity).toBe(75)
    feed(0.6)
    expect(pressure.measuredLevel).toBe('normal') // the old thresholds still rule
    pressure.close()
  })
})
