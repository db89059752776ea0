// Floors from a source's poll(): the slow poll's cadence, the hold, staged recovery, faults,
// and close(). Driven by hand: autoStart false, an injected clock.
import { describe, expect, it, vi } from 'vitest'
import { createController, type Source, type SourceContext, type SourceFloor } from '../../src/index.js'
import { scriptedSource } from '../support/sources.js'

/** A source at a fixed ratio whose poll() returns what the test sets, and records its calls. */
function signalling(ratio = 0.3) {
  const state = {
    floors: [] as unknown,
    polls: [] as number[],
    closed: 0,
    contexts: [] as SourceContext[],
    throwOnPoll: undefined as Error | undefined,
    throwOnClose: undefined as Error | undefined,
  }
  const source: Source = {
    name: 'box',
    read: (context) => {
      if (context !== undefined) state.contexts.push(context)
      return { used: ratio, limit: 1 }
    },
    poll: (context) => {
      state.polls.push(context.now())
      if (state.throwOnPoll) throw state.throwOnPoll
      return state.floors as SourceFloor[]
    },
    close: () => {
      state.closed++
      if (state.throwOnClose) throw state.throwOnClose
    },
  }
  return { source, state }
}

function drive(source: Source, options: { recoveryMs?: number; intervalMs?: number } = {}) {
  const clock = { t: 0 }
  const warn = vi.fn()
  const pressure = createController({
    sources: [source, scriptedSource('calm', 0.1)],
    autoStart: false,
    now: () => clock.t,
    logger: { warn, error: vi.fn() },
    ...options,
  })
  const errors: Error[] = []
  pressure.on('error', (e) => errors.push(e))
  const at = (t: number) => {
    clock.t = t
    pressure.sample()
    return pressure.level
  }
  return { pressure, clock, warn, errors, at }
}

const critical: SourceFloor = { level: 'critical', signal: 'memory.events', reason: 'the cgroup ran out of memory' }

describe('floors from a source’s poll()', () => {
  it('polls on the slow poll only: the first sample, then at most once per intervalMs', () => {
    const { source, state } = signalling()
    const { at } = drive(source, { intervalMs: 1000 })
    for (const t of [0, 25, 50, 999, 1000, 1025, 2100, 2200]) at(t)
    expect(state.polls).toEqual([0, 1000, 2100])
    // read() gets the same context every time: one object, built once.
    expect(new Set(state.contexts).size).toBe(1)
  })

  it('raises the level to the floor whatever the ratio, and says so once', () => {
    const { source, state } = signalling(0.3)
    const { pressure, at, warn } = drive(source, { recoveryMs: 5000 })
    state.floors = [critical]
    expect(at(0)).toBe('critical')
    expect(pressure.ratio).toBe(0.3)
    expect(pressure.measuredLevel).toBe('critical')
    expect(pressure.floors()).toEqual([{ ...critical, from: 'box', at: 0, until: 5000 }])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toBe(
      'heapguard: box memory.events: the cgroup ran out of memory; the level stays at critical or above',
    )
    at(1000) // refreshed: holds until 6000 now, said nothing new
    expect(pressure.floors()[0]!.until).toBe(6000)
    expect(warn).toHaveBeenCalledTimes(1)
  })

  it('holds for recoveryMs after the last raise, then steps down one level per recoveryMs', () => {
    const { source, state } = signalling(0.3)
    const { at, pressure } = drive(source, { recoveryMs: 5000, intervalMs: 1000 })
    state.floors = [critical]
    at(0)
    state.floors = []
    expect(at(1000)).toBe('critical')
    expect(at(5000)).toBe('critical') // the floor's last moment
    expect(at(5001)).toBe('critical') // lapsed; the dwell starts
    expect(pressure.floors()).toEqual([])
    expect(at(10_000)).toBe('critical')
    expect(at(10_001)).toBe('warning')
    expect(at(15_001)).toBe('normal')
  })

  it('a floor below the ratio’s level changes nothing; a ratio above the floor escalates past it', () => {
    const { source, state } = signalling(0.9)
    const { at } = drive(source)
    state.floors = [{ level: 'warning', signal: 'psi', reason: 'stalls' }]
    expect(at(0)).toBe('critical')
  })

  it('each level of a signal holds on its own: a critical lapses on time while warnings go on', () => {
    const { source, state } = signalling(0.3)
    const { at, pressure } = drive(source, { recoveryMs: 2000, intervalMs: 1000 })
    state.floors = [{ level: 'critical', signal: 'psi', reason: 'a' }]
    at(0)
    state.floors = [{ level: 'warning', signal: 'psi', reason: 'b' }]
    for (const t of [1000, 2000]) at(t)
    expect(pressure.floors().map((f) => f.level)).toEqual(['critical', 'warning'])
    at(3000) // critical held until 2000; the warning floor holds on
    expect(pressure.floors().map((f) => f.level)).toEqual(['warning'])
    expect(at(4000)).toBe('critical') // 1 s into the dwell
    expect(at(5000)).toBe('warning') // down to the floor, not below it
    expect(at(9000)).toBe('warning')
  })

  it('poll() that throws is reported and sampling goes on; invalid floors are ignored', () => {
    const { source, state } = signalling(0.3)
    const { at, errors, pressure } = drive(source)
    state.throwOnPoll = new Error('boom')
    expect(at(0)).toBe('normal')
    expect(errors.map((e) => e.message)).toEqual(['heapguard: source "box" poll() threw: boom'])
    state.throwOnPoll = undefined
    state.floors = [
      null,
      { level: 'normal', signal: 's', reason: 'r' },
      { level: 'panic', signal: 's', reason: 'r' },
      { level: 'critical', signal: 3, reason: 'r' },
    ]
    expect(at(1000)).toBe('normal')
    state.floors = 'critical'
    expect(at(2000)).toBe('normal')
    expect(pressure.floors()).toEqual([])
  })

  it('close() closes every source that has close(), once; one that throws is reported, the others still close', () => {
    const a = signalling()
    const b = signalling()
    const errors: Error[] = []
    const pressure = createController({ sources: [a.source, { ...b.source, name: 'b' }], autoStart: false })
    pressure.on('error', (e) => errors.push(e))
    a.state.throwOnClose = new Error('EBADF')
    pressure.close()
    pressure.close()
    expect(a.state.closed).toBe(1)
    expect(b.state.closed).toBe(1)
    expect(errors.map((e) => e.message)).toEqual(['heapguard: source "box" close() threw: EBADF'])
  })

  it('validates poll and close as functions', () => {
    const read = () => ({ used: 1, limit: 2 })
    expect(() => createController({ sources: [{ name: 'x', read, poll: 1 } as never], autoStart: false })).toThrow(
      new TypeError('createController: option `sources[0].poll` must be a function, got 1 (number)'),
    )
    expect(() => createController({ sources: [{ name: 'x', read, close: 'no' } as never], autoStart: false })).toThrow(
      new TypeError('createController: option `sources[0].close` must be a function, got "no" (string)'),
    )
  })
})
