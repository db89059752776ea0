import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, SourceError, type Logger } from '../../src/index.js'
import { drive } from '../support/drive.js'
import { scriptedSource } from '../support/sources.js'

afterEach(() => {
  vi.useRealTimers()
})

/** Two sources: `bad` misbehaves as told, `good` reads 0.75. */
function twoSources(logger?: Logger) {
  const clock = { t: 0 }
  const bad = scriptedSource('bad', 0.99)
  const good = scriptedSource('good', 0.75)
  const pressure = createController({
    sources: [bad, good],
    autoStart: false,
    now: () => clock.t,
    recoveryMs: 0,
    ...(logger && { logger }),
  })
  return { pressure, bad, good, clock }
}

describe('a faulty source', () => {
  it('that throws is reported as a SourceError on "error" and left out of that sample; the others still count', () => {
    const { pressure, bad } = twoSources()
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    const cause = new Error('EACCES: /sys/fs/cgroup/memory.max')
    bad.override = cause
    const s = pressure.sample()
    expect(Object.keys(s.sources)).toEqual(['good'])
    expect(s.ratio).toBe(0.75)
    expect(pressure.level).toBe('warning')
    expect(errors).toHaveLength(1)
    const error = errors[0] as SourceError
    expect(error).toBeInstanceOf(SourceError)
    expect(error.name).toBe('SourceError')
    expect(error.source).toBe('bad')
    expect(error.cause).toBe(cause)
    expect(error.message).toBe('heapguard: source "bad" threw: EACCES: /sys/fs/cgroup/memory.max')
  })

  it.each([
    ['NaN used', { used: Number.NaN, limit: 1 }, 'used NaN (number), limit 1 (number)'],
    ['Infinity used', { used: Infinity, limit: 1 }, 'used Infinity (number), limit 1 (number)'],
    ['Infinity limit', { used: 1, limit: Infinity }, 'used 1 (number), limit Infinity (number)'],
    ['zero limit', { used: 1, limit: 0 }, 'used 1 (number), limit 0 (number)'],
    ['negative limit', { used: 1, limit: -4 }, 'used 1 (number), limit -4 (number)'],
    ['negative used', { used: -1, limit: 4 }, 'used -1 (number), limit 4 (number)'],
    ['string used', { used: '5', limit: 10 }, 'used "5" (string), limit 10 (number)'],
    ['missing fields', {}, 'used undefined (undefined), limit undefined (undefined)'],
    ['null', null, 'null'],
    ['a number', 0.5, '0.5 (number)'],
    ['a string', 'full', '"full" (string)'],
    ['a promise', Promise.resolve({ used: 1, limit: 2 }), 'a promise (read() must be synchronous)'],
  ])('that returns %s is reported and left out', (_name, value, detail) => {
    const { pressure, bad } = twoSources()
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    bad.override = value
    const s = pressure.sample()
    expect(s.sources).toEqual({ good: { used: 0.75, limit: 1, ratio: 0.75 } })
    expect(s.ratio).toBe(0.75)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(SourceError)
    expect(errors[0]!.message).toBe(
      `heapguard: source "bad" returned an invalid reading (used must be a finite number >= 0, limit a finite number > 0): ${detail}`,
    )
  })

  it('is read again at the next sample and counts again once it recovers', () => {
    const { pressure, bad } = twoSources()
    pressure.on('error', () => {})
    bad.override = new Error('flaky')
    expect(pressure.sample().ratio).toBe(0.75)
    bad.override = undefined
    expect(pressure.sample().ratio).toBe(0.99)
    expect(pressure.level).toBe('emergency')
  })

  it('when every source fails, the sample keeps the last ratio, has no source figures, and the level does not recover', () => {
    const { pressure, feed, source, errors, clock } = drive({ recoveryMs: 100 })
    feed(0.9, 0)
    source.override = new Error('gone')
    for (let t = 1; t <= 1000; t += 50) {
      clock.t = t
      const s = pressure.sample()
      expect(s.sources).toEqual({})
      expect(s.ratio).toBe(0.9)
    }
    // Absence of data is not recovery.
    expect(pressure.level).toBe('critical')
    expect(errors.length).toBe(20)
  })
})

describe('faulty listeners', () => {
  it('a throwing listener is reported on "error" and the other listeners still run; sample() returns normally', () => {
    const { pressure, feed, errors } = drive()
    const boom = new Error('listener bug')
    const seen: string[] = []
    pressure.on('sample', () => seen.push('first'))
    pressure.on('sample', () => {
      throw boom
    })
    pressure.on('sample', () => seen.push('third'))
    pressure.on('level', () => {
      throw boom
    })
    pressure.on('level', (c) => seen.push(`level ${c.to}`))
    const s = feed(0.9, 1)
    expect(s.level).toBe('critical')
    expect(seen).toEqual(['level critical', 'first', 'third'])
    expect(errors).toEqual([boom, boom])
  })

  it('a listener that throws a non-Error is reported as an Error', () => {
    const { pressure, feed, errors } = drive()
    pressure.on('sample', () => {
      throw 'a string'
    })
    feed(0.1)
    expect(errors[0]).toBeInstanceOf(Error)
    expect(errors[0]!.message).toBe('a string')
  })

  it('an "error" listener that throws goes to the logger, and the other error listeners still run', () => {
    const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn() }
    const { pressure, bad } = twoSources(logger)
    bad.override = new Error('source broke')
    const seen: Error[] = []
    const secondary = new Error('error listener broke')
    pressure.on('error', () => {
      throw secondary
    })
    pressure.on('error', (e) => seen.push(e))
    expect(() => pressure.sample()).not.toThrow()
    expect(seen.map((e) => e.message)).toEqual(['heapguard: source "bad" threw: source broke'])
    expect(logger.error).toHaveBeenCalledTimes(1)
    expect(logger.error).toHaveBeenCalledWith(secondary, 'heapguard: error listener broke')
  })

  it('with no "error" listener, errors go to logger.error (or logger.warn when there is no error method)', () => {
    const logger = { error: vi.fn() }
    const { pressure, bad } = twoSources(logger)
    bad.override = new Error('nobody listens')
    pressure.sample()
    expect(logger.error).toHaveBeenCalledTimes(1)
    // pino-compatible: the Error first (pino serialises it, stack included), then the text
    expect(logger.error.mock.calls[0]![0]).toBeInstanceOf(SourceError)
    expect(logger.error.mock.calls[0]![1]).toBe('heapguard: source "bad" threw: nobody listens')

    const warnOnly = { warn: vi.fn() }
    const second = twoSources(warnOnly)
    second.bad.override = new Error('to warn')
    second.pressure.sample()
    expect(warnOnly.warn).toHaveBeenCalledTimes(1)
  })

  it('is pino-compatible: the Error goes first, so a pino-like logger keeps its stack', () => {
    // pino's signature: log(mergingObject, message, ...interpolationValues). An Error as the first
    // argument is serialised under `err`, stack included; a string first is the message, and
    // arguments after it only fill %s placeholders, so an Error there would be lost.
    const lines: { msg?: string; err?: { type: string; message: string; stack?: string } }[] = []
    const pinoLike = {
      error(first: unknown, second?: unknown) {
        if (first instanceof Error) {
          lines.push({ err: { type: first.name, message: first.message, stack: first.stack }, msg: second as string })
        } else {
          lines.push({ msg: String(first) })
        }
      },
    }
    const { pressure, bad } = twoSources(pinoLike)
    bad.override = new Error('pino sees this')
    pressure.sample()
    expect(lines).toHaveLength(1)
    expect(lines[0]!.msg).toBe('heapguard: source "bad" threw: pino sees this')
    expect(lines[0]!.err).toMatchObject({
      type: 'SourceError',
      message: 'heapguard: source "bad" threw: pino sees this',
    })
    expect(lines[0]!.err!.stack).toMatch(/SourceError: heapguard: source "bad" threw[\s\S]*\n\s+at /)
    pressure.close()
  })

  it('a logger that throws, or no logger method at all, never makes sample() throw', () => {
    const throwing = twoSources({
      error: () => {
        throw new Error('logger down')
      },
      info: () => {
        throw new Error('logger down')
      },
    })
    throwing.bad.override = new Error('x')
    expect(() => throwing.pressure.sample()).not.toThrow()
    expect(throwing.pressure.level).toBe('warning') // the level change went through despite logger.info
    const silent = twoSources({})
    silent.bad.override = new Error('x')
    expect(() => silent.pressure.sample()).not.toThrow()
  })

  it('logs level changes to logger.info when it exists', () => {
    const logger = { info: vi.fn() }
    const { pressure } = twoSources(logger)
    pressure.sample()
    pressure.force('emergency')
    expect(logger.info.mock.calls).toEqual([
      ['heapguard: memory pressure normal -> emergency: bad 0.990 reached emergency (0.95)'],
    ])
    pressure.force('normal')
    expect(logger.info.mock.calls[1]).toEqual([
      "heapguard: memory pressure emergency -> normal: forced by force('normal')",
    ])
  })

  it('nothing throws out of sample(): every fault at once', () => {
    const logger = {
      error: () => {
        throw new Error('logger')
      },
    }
    const { pressure, bad, good } = twoSources(logger)
    bad.override = new Error('bad')
    good.override = { used: Number.NaN, limit: 1 }
    pressure.on('sample', () => {
      throw new Error('sample listener')
    })
    pressure.on('level', () => {
      throw new Error('level listener')
    })
    pressure.on('error', () => {
      throw new Error('error listener')
    })
    expect(() => pressure.sample()).not.toThrow()
    good.override = undefined
    expect(() => pressure.sample()).not.toThrow()
    expect(pressure.level).toBe('warning')
  })
})

describe('a faulty clock', () => {
  it('that throws or returns garbage after construction is reported and the last good time is used', () => {
    let t: unknown = 100
    const source = scriptedSource('s', 0.9)
    const pressure = createController({
      sources: [source],
      autoStart: false,
      now: () =>
        (t instanceof Error
          ? (() => {
              throw t
            })()
          : t) as number,
    })
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    expect(pressure.sample().at).toBe(100)
    t = new Error('clock broke')
    expect(pressure.sample().at).toBe(100)
    t = Number.NaN
    expect(pressure.sample().at).toBe(100)
    expect(errors.map((e) => e.message)).toEqual([
      'heapguard: option `now` threw: clock broke',
      'heapguard: option `now` returned NaN (number); the last good time is used',
    ])
    t = 200
    expect(pressure.sample().at).toBe(200)
  })
})

describe('samples from the timer never throw into the event loop', () => {
  it('a throwing source and throwing listeners under a running timer', () => {
    vi.useFakeTimers()
    const source = scriptedSource('s', 0.3)
    source.override = new Error('source')
    const logger = { error: vi.fn() }
    const pressure = createController({ sources: [source], now: () => 0, intervalMs: 100, sampleOnGc: false, logger })
    pressure.on('sample', () => {
      throw new Error('listener')
    })
    // Fake timers rethrow what a timer callback throws: this would fail if anything escaped.
    expect(() => vi.advanceTimersByTime(1000)).not.toThrow()
    expect(source.reads).toBe(11) // the first sample at start, then one per 100 ms
    expect(logger.error.mock.calls.length).toBe(1 + 2 * 10) // start: source only; each timer sample: source + listener
    pressure.close()
  })
})
