import { afterEach, describe, expect, it, vi } from 'vitest'
import { drive } from '../support/drive.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('force() and release()', () => {
  it('sets the effective level at once, emits synchronously and flags the change as forced', () => {
    const { pressure, changes, clock } = drive()
    clock.t = 42
    let seenInsideListener: string | undefined
    pressure.on('level', () => {
      seenInsideListener = pressure.level
    })
    pressure.force('emergency')
    // No await: the event has already been delivered.
    expect(pressure.level).toBe('emergency')
    expect(seenInsideListener).toBe('emergency')
    expect(pressure.forced).toBe('emergency')
    expect(pressure.measuredLevel).toBe('normal')
    expect(changes).toEqual([
      {
        from: 'normal',
        to: 'emergency',
        at: 42,
        ratio: 0,
        forced: true,
        reason: "forced by force('emergency')",
        cause: { kind: 'forced' },
      },
    ])
  })

  it('wins over the measured level both ways while measuredLevel keeps tracking the sources', () => {
    const { pressure, feed, changes, samples } = drive({ recoveryMs: 0 })
    pressure.force('warning')
    feed(0.99, 1)
    expect(pressure.level).toBe('warning')
    expect(pressure.measuredLevel).toBe('emergency')
    expect(samples.at(-1)!.level).toBe('warning')
    feed(0.1, 2)
    expect(pressure.measuredLevel).toBe('critical')
    expect(pressure.level).toBe('warning')
    pressure.force('normal')
    feed(0.99, 3)
    expect(pressure.level).toBe('normal')
    expect(pressure.measuredLevel).toBe('emergency')
    // Only the forced changes were emitted; the measured ones stayed hidden under the forced level.
    expect(changes.map((c) => [c.from, c.to, c.forced])).toEqual([
      ['normal', 'warning', true],
      ['warning', 'normal', true],
    ])
  })

  it('release() emits the transition to the measured level when it differs', () => {
    const { pressure, feed, changes, clock } = drive()
    feed(0.9, 1)
    pressure.force('emergency')
    clock.t = 5
    pressure.release()
    expect(pressure.level).toBe('critical')
    expect(pressure.forced).toBeNull()
    expect(changes.at(-1)).toEqual({
      from: 'emergency',
      to: 'critical',
      at: 5,
      ratio: 0.9,
      forced: true,
      reason: 'forced level released',
      cause: { kind: 'released' },
    })
  })

  it('release() emits nothing when the measured level equals the forced one, and is a no-op with nothing forced', () => {
    const { pressure, feed, changes } = drive()
    feed(0.9, 1)
    pressure.force('critical')
    pressure.release()
    pressure.release()
    expect(changes.map((c) => c.to)).toEqual(['critical'])
    expect(pressure.level).toBe('critical')
  })

  it('a second force() replaces the first', () => {
    const { pressure, changes } = drive()
    pressure.force('emergency', { forMs: 100 })
    pressure.force('warning')
    expect(pressure.level).toBe('warning')
    expect(changes.map((c) => c.to)).toEqual(['emergency', 'warning'])
  })

  it('forcing the level already in effect emits nothing', () => {
    const { pressure, feed, changes } = drive()
    feed(0.75, 1)
    pressure.force('warning')
    expect(changes).toHaveLength(1)
    expect(pressure.forced).toBe('warning')
  })

  it('measured transitions are flagged forced: false', () => {
    const { feed, changes } = drive()
    feed(0.9, 1)
    expect(changes[0]!.forced).toBe(false)
  })
})

describe('force({ forMs })', () => {
  it('expires by the injected clock at the next sample', () => {
    const { pressure, feed, changes, clock } = drive()
    clock.t = 1000
    pressure.force('critical', { forMs: 500 })
    feed(0.1, 1499)
    expect(pressure.level).toBe('critical')
    feed(0.1, 1500)
    expect(pressure.level).toBe('normal')
    expect(pressure.forced).toBeNull()
    expect(changes.map((c) => [c.from, c.to, c.at, c.forced])).toEqual([
      ['normal', 'critical', 1000, true],
      ['critical', 'normal', 1500, true],
    ])
  })

  it('an expiry that lands on the measured level emits nothing', () => {
    const { pressure, feed, changes, clock } = drive()
    feed(0.9, 0)
    pressure.force('critical', { forMs: 10 })
    clock.t = 20
    feed(0.9, 20)
    expect(pressure.forced).toBeNull()
    expect(changes.map((c) => c.to)).toEqual(['critical'])
  })

  it('expires without any sample, from its own timer, when the clock has passed the deadline', () => {
    vi.useFakeTimers()
    const { pressure, changes, clock, source } = drive()
    pressure.force('emergency', { forMs: 1000 })
    clock.t = 999
    vi.advanceTimersByTime(999)
    expect(pressure.level).toBe('emergency')
    clock.t = 1000
    vi.advanceTimersByTime(1)
    expect(pressure.level).toBe('normal')
    expect(changes.at(-1)).toMatchObject({ from: 'emergency', to: 'normal', at: 1000, forced: true })
    expect(source.reads).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('when the timer fires before the controller’s clock reaches the deadline, it waits for the rest', () => {
    vi.useFakeTimers()
    const { pressure, clock } = drive()
    pressure.force('emergency', { forMs: 1000 })
    // The injected clock lags real time: at the timer's deadline it reads only 400.
    clock.t = 400
    vi.advanceTimersByTime(1000)
    expect(pressure.level).toBe('emergency')
    expect(vi.getTimerCount()).toBe(1) // re-armed for the remaining 600 ms
    clock.t = 1000
    vi.advanceTimersByTime(600)
    expect(pressure.level).toBe('normal')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('release() and a new force() cancel the pending expiry timer', () => {
    vi.useFakeTimers()
    const { pressure } = drive()
    pressure.force('emergency', { forMs: 1000 })
    expect(vi.getTimerCount()).toBe(1)
    pressure.release()
    expect(vi.getTimerCount()).toBe(0)
    pressure.force('critical', { forMs: 1000 })
    pressure.force('warning')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('the expiry timer is unref’d', () => {
    const { pressure } = drive()
    const spy = vi.spyOn(globalThis, 'setTimeout')
    try {
      pressure.force('emergency', { forMs: 60_000 })
      const call = spy.mock.calls.findIndex((args) => args[1] === 60_000)
      const timer = spy.mock.results[call]!.value as NodeJS.Timeout
      expect(timer.hasRef()).toBe(false)
    } finally {
      spy.mockRestore()
      pressure.close()
    }
  })
})

describe('force() arguments', () => {
  it.each([
    [
      ['extreme'],
      RangeError,
      "force: argument `level` must be one of 'normal', 'warning', 'critical', 'emergency', got \"extreme\" (string)",
    ],
    [
      [3],
      TypeError,
      "force: argument `level` must be one of 'normal', 'warning', 'critical', 'emergency', got 3 (number)",
    ],
    [
      ['warning', { forMs: 0 }],
      RangeError,
      'force: option `forMs` must be a finite number > 0 and <= 2147483647, got 0 (number)',
    ],
    [
      ['warning', { forMs: -5 }],
      RangeError,
      'force: option `forMs` must be a finite number > 0 and <= 2147483647, got -5 (number)',
    ],
    [
      ['warning', { forMs: Number.NaN }],
      RangeError,
      'force: option `forMs` must be a finite number > 0 and <= 2147483647, got NaN (number)',
    ],
    [
      ['warning', { forMs: 2 ** 31 }],
      RangeError,
      'force: option `forMs` must be a finite number > 0 and <= 2147483647, got 2147483648 (number)',
    ],
    [
      ['warning', { forMs: '10' }],
      TypeError,
      'force: option `forMs` must be a finite number > 0 and <= 2147483647, got "10" (string)',
    ],
    [['warning', { for: 10 }], TypeError, 'force: unknown option `for` (known: forMs)'],
    [['warning', 10], TypeError, 'force: options must be an object, got 10 (number)'],
  ])('force(%j) throws %o', (args, ErrorClass, message) => {
    const { pressure, changes } = drive()
    expect(() => (pressure.force as (...a: unknown[]) => void)(...args)).toThrow(ErrorClass)
    expect(() => (pressure.force as (...a: unknown[]) => void)(...args)).toThrow(message)
    expect(pressure.level).toBe('normal')
    expect(changes).toEqual([])
  })
})
