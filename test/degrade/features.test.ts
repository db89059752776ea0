import { afterEach, describe, expect, it, vi } from 'vitest'
import { drive } from '../support/drive.js'
import type { FlagChange } from '../../src/index.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('features.flag: follows the effective level', () => {
  it("is on below offAt (default 'critical') and off at it and above", () => {
    const { pressure, feed } = drive()
    const ai = pressure.features.flag('ai-cache')
    expect(ai).toMatchObject({ name: 'ai-cache', enabled: true, offAt: 'critical', overridden: null })
    feed(0.75)
    expect(pressure.level).toBe('warning')
    expect(ai.enabled).toBe(true)
    feed(0.9)
    expect(pressure.level).toBe('critical')
    expect(ai.enabled).toBe(false)
    expect(pressure.features.enabled('ai-cache')).toBe(false)
    feed(0.97)
    expect(ai.enabled).toBe(false)
    pressure.close()
  })

  it('inherits hysteresis and staged recovery: back on only when the level has stepped below offAt', () => {
    const { pressure, feed } = drive({ recoveryMs: 1000 })
    const ai = pressure.features.flag('ai-cache', { offAt: 'critical' })
    feed(0.97, 0) // emergency
    // below the critical threshold but above its exit line (0.85 - 0.05): nothing moves
    feed(0.82, 10)
    feed(0.82, 5000)
    expect(pressure.level).toBe('critical')
    expect(ai.enabled).toBe(false)
    // well below: one level per recoveryMs
    feed(0.1, 5001)
    feed(0.1, 6001)
    expect(pressure.level).toBe('warning')
    expect(ai.enabled).toBe(true)
    pressure.close()
  })

  it('switches inside force() and release(), so the next line already sees it', () => {
    const { pressure } = drive()
    const flag = pressure.features.flag('recommendations', { offAt: 'warning' })
    pressure.force('warning')
    expect(flag.enabled).toBe(false)
    pressure.release()
    expect(flag.enabled).toBe(true)
    pressure.close()
  })

  it('starts off when declared while the level is already at offAt', () => {
    const { pressure } = drive()
    pressure.force('emergency')
    expect(pressure.features.flag('late', { offAt: 'emergency' }).enabled).toBe(false)
    expect(pressure.features.flag('later', { offAt: 'emergency' }).enabled).toBe(false)
    pressure.close()
  })
})

describe("flag.on('change')", () => {
  it('fires on edges only, with the new state', () => {
    const { pressure, feed } = drive()
    const flag = pressure.features.flag('ai-cache')
    const seen: FlagChange[] = []
    flag.on('change', (c) => seen.push(c))
    feed(0.75) // warning: still on, no event
    feed(0.9) // critical: off
    feed(0.97) // emergency: still off, no event
    pressure.release()
    pressure.force('normal') // on
    expect(seen).toEqual([
      { name: 'ai-cache', enabled: false, level: 'critical', override: null },
      { name: 'ai-cache', enabled: true, level: 'normal', override: null },
    ])
    pressure.close()
  })

  it('runs before user level listeners, so they see the flag already switched', () => {
    const { pressure } = drive()
    const flag = pressure.features.flag('f')
    let seenInListener: boolean | undefined
    pressure.on('level', () => (seenInListener = flag.enabled))
    pressure.force('critical')
    expect(seenInListener).toBe(false)
    pressure.close()
  })

  it('isolates listeners: a throw or a rejection is reported on error and the others still run', async () => {
    const { pressure, errors } = drive()
    const flag = pressure.features.flag('f')
    const after = vi.fn()
    flag.on('change', () => {
      throw new Error('listener broke')
    })
    flag.on('change', () => Promise.reject(new Error('async listener broke')))
    flag.on('change', after)
    pressure.force('critical')
    expect(after).toHaveBeenCalledTimes(1)
    await Promise.resolve()
    expect(errors.map((e) => e.message)).toEqual(['listener broke', 'async listener broke'])
    pressure.close()
  })

  it('off() removes one listener, or all', () => {
    const { pressure } = drive()
    const flag = pressure.features.flag('f')
    const a = vi.fn()
    const b = vi.fn()
    flag.on('change', a).on('change', b)
    flag.off('change', a)
    pressure.force('critical')
    expect(a).not.toHaveBeenCalled()
    expect(b).toHaveBeenCalledTimes(1)
    flag.off('change')
    pressure.release()
    expect(b).toHaveBeenCalledTimes(1)
    pressure.close()
  })

  it('close() detaches listeners; the flag stays readable', () => {
    const { pressure } = drive()
    const flag = pressure.features.flag('f')
    const fn = vi.fn()
    flag.on('change', fn)
    pressure.close()
    flag.override('off')
    expect(fn).not.toHaveBeenCalled()
    expect(flag.enabled).toBe(false)
  })
})

describe('overrides', () => {
  it("'off' forces off, 'on' forces on whatever the level, null follows pressure again", () => {
    const { pressure } = drive()
    const flag = pressure.features.flag('ai-cache')
    const seen: boolean[] = []
    flag.on('change', (c) => seen.push(c.enabled))
    flag.override('off')
    expect(flag.enabled).toBe(false)
    expect(flag.overridden).toBe('off')
    pressure.force('emergency')
    flag.override('on')
    expect(flag.enabled).toBe(true)
    pressure.release()
    pressure.force('critical')
    expect(flag.enabled).toBe(true)
    flag.override(null)
    expect(flag.enabled).toBe(false)
    expect(seen).toEqual([false, true, false])
    pressure.close()
  })

  it('features.override(name, state) is the same by name, for an admin endpoint', () => {
    const { pressure } = drive()
    pressure.features.flag('ai-cache')
    pressure.features.override('ai-cache', 'off')
    expect(pressure.features.enabled('ai-cache')).toBe(false)
    expect(() => pressure.features.override('nope', 'off')).toThrow(RangeError)
    pressure.close()
  })
})

describe('features.list() and enabled()', () => {
  it('lists every flag in the exact shape the dashboard reads', () => {
    const { pressure } = drive()
    pressure.features.flag('ai-cache')
    pressure.features.flag('exports', { offAt: 'warning' })
    pressure.force('warning')
    pressure.features.override('ai-cache', 'off')
    expect(pressure.features.list()).toStrictEqual([
      { name: 'ai-cache', enabled: false, offAt: 'critical', override: 'off' },
      { name: 'exports', enabled: false, offAt: 'warning', override: null },
    ])
    pressure.close()
  })

  it('enabled() on an undeclared name throws a RangeError naming it and the known flags', () => {
    const { pressure } = drive()
    pressure.features.flag('ai-cache')
    expect(() => pressure.features.enabled('ai-cach')).toThrow(
      'features.enabled: no feature flag named "ai-cach" (string) (declare it with pressure.features.flag() first; known: "ai-cache")',
    )
    expect(() => pressure.features.enabled('ai-cach')).toThrow(RangeError)
    expect(pressure.features.get('ai-cach')).toBeUndefined()
    pressure.close()
  })
})

describe('declaring a name again', () => {
  it('returns the same flag when the options are the same', () => {
    const { pressure } = drive()
    const a = pressure.features.flag('f', { offAt: 'warning' })
    expect(pressure.features.flag('f', { offAt: 'warning' })).toBe(a)
    expect(pressure.features.get('f')).toBe(a)
    expect(pressure.features.list()).toHaveLength(1)
    pressure.close()
  })

  it('applies the latest offAt to the same flag and warns once', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const { pressure } = drive()
    pressure.force('warning')
    const a = pressure.features.flag('f', { offAt: 'critical' })
    const changes: boolean[] = []
    a.on('change', (c) => changes.push(c.enabled))
    expect(pressure.features.flag('f', { offAt: 'warning' })).toBe(a)
    expect(a.offAt).toBe('warning')
    expect(a.enabled).toBe(false)
    expect(changes).toEqual([false])
    pressure.features.flag('f', { offAt: 'emergency' })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain('feature flag "f" declared again')
    pressure.close()
  })
})

describe('redeclaration warnings', () => {
  it('warn once per flag name, not once per process: a second flag redeclared later warns too', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const { pressure } = drive()
    pressure.features.flag('alpha', { offAt: 'critical' })
    pressure.features.flag('beta', { offAt: 'critical' })
    pressure.features.flag('alpha', { offAt: 'warning' })
    pressure.features.flag('alpha', { offAt: 'emergency' }) // same flag again: already warned
    pressure.features.flag('beta', { offAt: 'warning' })
    const messages = warn.mock.calls.map((call) => String(call[0]))
    expect(messages).toHaveLength(2)
    expect(messages[0]).toContain('feature flag "alpha" declared again')
    expect(messages[1]).toContain('feature flag "beta" declared again')
    // The code stays stable, for process.on('warning') filters.
    expect(warn.mock.calls.map((call) => (call[1] as { code?: string }).code)).toEqual([
      'HEAPGUARD_FLAG_REDECLARED',
      'HEAPGUARD_FLAG_REDECLARED',
    ])
    pressure.close()
  })
})

describe('validation', () => {
  it('rejects bad names, options, overrides and listeners with messages naming them', () => {
    const { pressure } = drive()
    const f = pressure.features
    expect(() => f.flag('')).toThrow(
      new TypeError('features.flag: argument `name` must be a non-empty string, got "" (string)'),
    )
    expect(() => f.flag(5 as never)).toThrow(TypeError)
    expect(() => f.flag('x', { offAt: 'normal' as never })).toThrow(
      new RangeError(
        "features.flag: option `offAt` must be one of 'warning', 'critical', 'emergency', got \"normal\" (string)",
      ),
    )
    expect(() => f.flag('x', { offAt: 2 as never })).toThrow(TypeError)
    expect(() => f.flag('x', { offAtt: 'warning' } as never)).toThrow(
      new TypeError('features.flag: unknown option `offAtt` (known: offAt)'),
    )
    expect(() => f.flag('x', 'critical' as never)).toThrow(TypeError)
    const flag = f.flag('x')
    expect(() => flag.override('maybe' as never)).toThrow(RangeError)
    expect(() => flag.override(undefined as never)).toThrow(TypeError)
    expect(() => flag.on('chnage' as never, () => {})).toThrow(RangeError)
    expect(() => flag.on('change', 'fn' as never)).toThrow(TypeError)
    expect(() => f.enabled(undefined as never)).toThrow(TypeError) // a missing name is a wrong type (contract: TypeError)
    pressure.close()
  })
})
