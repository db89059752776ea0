import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  DEFAULT_ADMISSION,
  LEVELS,
  PRIORITIES,
  ShedError,
  type Level,
  type Priority,
  type ShedRefusal,
} from '../../../src/index.js'
import { deferred } from '../../support/deferred.js'
import { manualController } from '../../support/drive.js'

const admittedAt = (pressure: ReturnType<typeof manualController>, level: Level) => {
  pressure.force(level)
  return PRIORITIES.filter((p) => pressure.shed.admit(p))
}

describe('shed.admit: the admission table', () => {
  it('applies the default table at every level', () => {
    const pressure = manualController()
    expect(admittedAt(pressure, 'normal')).toEqual(['critical', 'high', 'normal', 'low'])
    expect(admittedAt(pressure, 'warning')).toEqual(['critical', 'high', 'normal', 'low'])
    expect(admittedAt(pressure, 'critical')).toEqual(['critical', 'high', 'normal'])
    expect(admittedAt(pressure, 'emergency')).toEqual(['critical'])
    expect(DEFAULT_ADMISSION.emergency).toEqual(['critical'])
    pressure.close()
  })

  it("defaults to priority 'normal'", () => {
    const pressure = manualController()
    pressure.force('critical')
    expect(pressure.shed.admit()).toBe(true)
    pressure.force('emergency')
    expect(pressure.shed.admit()).toBe(false)
    expect(pressure.shed.stats().refused.normal).toBe(1)
    pressure.close()
  })

  it('takes a custom table: a minimum priority or an exact list per level, merged over the default', () => {
    const pressure = manualController({ admission: { warning: 'normal', critical: ['critical', 'high'] } })
    expect(admittedAt(pressure, 'normal')).toEqual(['critical', 'high', 'normal', 'low'])
    expect(admittedAt(pressure, 'warning')).toEqual(['critical', 'high', 'normal'])
    expect(admittedAt(pressure, 'critical')).toEqual(['critical', 'high'])
    expect(admittedAt(pressure, 'emergency')).toEqual(['critical'])
    expect(pressure.shed.admission.warning).toEqual({ critical: true, high: true, normal: true, low: false })
    pressure.close()
  })

  it('sees a level change at once, inside the force() call', () => {
    const pressure = manualController()
    const seen: boolean[] = []
    pressure.on('level', () => seen.push(pressure.shed.admit('low')))
    pressure.force('critical')
    pressure.release()
    expect(seen).toEqual([false, true])
    pressure.close()
  })

  it('counts admissions and refusals per priority and per reason', () => {
    const pressure = manualController()
    pressure.force('emergency')
    for (const p of PRIORITIES) pressure.shed.admit(p)
    pressure.shed.admit('low')
    const stats = pressure.shed.stats()
    expect(stats.admitted).toBe(1)
    expect(stats.refused).toEqual({ critical: 0, high: 1, normal: 1, low: 2 })
    expect(stats.refusedByReason).toEqual({ level: 4, 'queue-full': 0, 'queue-timeout': 0, closed: 0, memory: 0 })
    expect(stats.level).toBe('emergency')
    // stats() is a snapshot: mutating it changes nothing inside.
    stats.refused.low = 99
    expect(pressure.shed.stats().refused.low).toBe(2)
    pressure.close()
  })

  it('emits one refused event per refusal with priority, level, reason and retryAfter', () => {
    const pressure = manualController({ retryAfter: 7 })
    const events: ShedRefusal[] = []
    const listener = (e: ShedRefusal) => events.push(e)
    pressure.shed.on('refused', listener)
    pressure.force('critical')
    pressure.shed.admit('low')
    pressure.shed.admit('high')
    expect(events).toEqual([{ priority: 'low', level: 'critical', reason: 'level', retryAfter: 7 }])
    pressure.shed.off('refused', listener)
    pressure.shed.admit('low')
    expect(events).toHaveLength(1)
    pressure.close()
  })

  it('reports a throwing refused listener on the controller and still calls the others', () => {
    const pressure = manualController()
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    const after = vi.fn()
    pressure.shed.on('refused', () => {
      throw new Error('listener broke')
    })
    pressure.shed.on('refused', after)
    pressure.force('emergency')
    expect(() => pressure.shed.admit('low')).not.toThrow()
    expect(after).toHaveBeenCalledTimes(1)
    expect(errors.map((e) => e.message)).toEqual(['listener broke'])
    pressure.close()
  })

  it('rejects an unknown priority with a message naming it', () => {
    const pressure = manualController()
    expect(() => pressure.shed.admit('urgent' as Priority)).toThrow(RangeError)
    expect(() => pressure.shed.admit('urgent' as Priority)).toThrow(
      /shed.admit: argument `priority` must be one of 'critical', 'high', 'normal', 'low', got "urgent"/,
    )
    expect(() => pressure.shed.admit('toString' as Priority)).toThrow(RangeError)
    expect(() => pressure.shed.admit(3 as unknown as Priority)).toThrow(TypeError)
    pressure.close()
  })
})

describe('shed.run', () => {
  it("resolves with fn's result and gives the slot back", async () => {
    const pressure = manualController()
    const gate = deferred<number>()
    const running = pressure.shed.run(async (signal) => {
      expect(signal).toBeInstanceOf(AbortSignal)
      return gate.promise
    })
    expect(pressure.shed.stats().inFlight).toBe(1)
    gate.resolve(42)
    await expect(running).resolves.toBe(42)
    expect(pressure.shed.stats().inFlight).toBe(0)
    await expect(pressure.shed.run(() => 'sync value')).resolves.toBe('sync value')
    pressure.close()
  })

  it("rejects with fn's error (thrown or rejected) and gives the slot back", async () => {
    const pressure = manualController()
    await expect(pressure.shed.run(() => Promise.reject(new Error('async boom')))).rejects.toThrow('async boom')
    await expect(
      pressure.shed.run(() => {
        throw new Error('sync boom')
      }),
    ).rejects.toThrow('sync boom')
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, admitted: 2 })
    pressure.close()
  })

  it('rejects with a ShedError carrying level, priority, reason and retryAfter when refused', async () => {
    const pressure = manualController({ retryAfter: 3 })
    pressure.force('critical')
    const fn = vi.fn()
    const error = await pressure.shed.run(fn, { priority: 'low' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ShedError)
    expect(error).toMatchObject({
      name: 'ShedError',
      code: 'HEAPGUARD_SHED',
      level: 'critical',
      priority: 'low',
      reason: 'level',
      retryAfter: 3,
    })
    expect((error as Error).message).toBe(
      "heapguard: 'low' work shed at level 'critical': refused at this pressure level",
    )
    expect(fn).not.toHaveBeenCalled()
    const custom = await pressure.shed.run(fn, { priority: 'low', retryAfter: 30 }).catch((e: ShedError) => e)
    expect(custom.retryAfter).toBe(30)
    pressure.close()
  })

  it('passes the caller signal to fn; an abort while running rejects with its reason and frees the slot', async () => {
    const pressure = manualController()
    const controller = new AbortController()
    let received: AbortSignal | undefined
    const running = pressure.shed.run(
      (signal) => {
        received = signal
        return new Promise(() => {}) // never settles by itself
      },
      { signal: controller.signal },
    )
    expect(received).toBe(controller.signal)
    expect(pressure.shed.stats().inFlight).toBe(1)
    const reason = new Error('caller gave up')
    controller.abort(reason)
    await expect(running).rejects.toBe(reason)
    expect(pressure.shed.stats().inFlight).toBe(0)
    pressure.close()
  })

  it('rejects at once, without a slot, when the signal is already aborted', async () => {
    const pressure = manualController()
    const fn = vi.fn()
    await expect(pressure.shed.run(fn, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    expect(fn).not.toHaveBeenCalled()
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, admitted: 0 })
    pressure.close()
  })

  it('accepts any AbortSignal-shaped object as signal (another realm, a polyfill), as withTimeout and inBatches do', async () => {
    const pressure = manualController()
    // Not an instance of this realm's AbortSignal: an EventTarget with the fields a signal has.
    const foreign = Object.assign(new EventTarget(), { aborted: false, reason: undefined as unknown })
    await expect(pressure.shed.run(() => 'done', { signal: foreign as unknown as AbortSignal })).resolves.toBe('done')
    const gate = deferred()
    const running = pressure.shed.run(() => gate.promise, { signal: foreign as unknown as AbortSignal })
    foreign.aborted = true
    foreign.reason = new Error('gone')
    foreign.dispatchEvent(new Event('abort'))
    await expect(running).rejects.toThrow('gone')
    expect(pressure.shed.stats().inFlight).toBe(0)
    gate.resolve()
    pressure.close()
  })

  it('rejects bad arguments (as a rejected promise) naming them', async () => {
    const pressure = manualController()
    await expect(pressure.shed.run('nope' as never)).rejects.toThrow(
      /shed.run: argument `fn` must be a function, got "nope"/,
    )
    await expect(pressure.shed.run(() => 1, { priority: 'urgent' as Priority })).rejects.toThrow(RangeError)
    await expect(pressure.shed.run(() => 1, { signal: {} as AbortSignal })).rejects.toThrow(
      /option `signal` must be an AbortSignal/,
    )
    await expect(pressure.shed.run(() => 1, { retryAfter: 1.5 })).rejects.toThrow(
      /option `retryAfter` must be an integer >= 0, got 1.5/,
    )
    await expect(pressure.shed.run(() => 1, { prio: 'low' } as never)).rejects.toThrow(/unknown option `prio`/)
    pressure.close()
  })
})

describe('concurrency limits', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('inherits a limit upwards, applies none below the first configured level', () => {
    const pressure = manualController({ concurrency: { warning: 10, emergency: 2 } })
    expect(pressure.shed.limits).toEqual({ normal: null, warning: 10, critical: 10, emergency: 2 })
    const limitAt = (level: Level) => {
      pressure.force(level)
      return pressure.shed.stats().limit
    }
    expect(LEVELS.map(limitAt)).toEqual([null, 10, 10, 2])
    pressure.close()
  })

  it('runs at most N at once; the next wait FIFO and start as slots free', async () => {
    const pressure = manualController({ concurrency: { critical: 2 } })
    pressure.force('critical')
    const gates = [deferred(), deferred(), deferred(), deferred()]
    const started: number[] = []
    const runs = gates.map((gate, i) =>
      pressure.shed.run(async () => {
        started.push(i)
        await gate.promise
        return i
      }),
    )
    expect(started).toEqual([0, 1])
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 2, queued: 2, limit: 2 })
    gates[1]!.resolve()
    await runs[1]
    expect(started).toEqual([0, 1, 2])
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 2, queued: 1 })
    gates[0]!.resolve()
    gates[2]!.resolve()
    gates[3]!.resolve()
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3])
    expect(started).toEqual([0, 1, 2, 3])
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 4 })
    pressure.close()
  })

  it('serves higher priorities first from the queue', async () => {
    const pressure = manualController({ concurrency: { warning: 1 } })
    pressure.force('warning')
    const gate = deferred()
    const order: string[] = []
    const first = pressure.shed.run(() => gate.promise)
    const queued = (['low', 'normal', 'high', 'normal'] as const).map((priority, i) =>
      pressure.shed.run(() => void order.push(`${priority}${i}`), { priority }),
    )
    gate.resolve()
    await Promise.all([first, ...queued])
    expect(order).toEqual(['high2', 'normal1', 'normal3', 'low0'])
    pressure.close()
  })

  it('refuses with queue-full when the queue is full; a more urgent newcomer displaces the oldest less urgent waiter', async () => {
    const pressure = manualController({ concurrency: { warning: 1 }, queue: { size: 2 } })
    pressure.force('warning')
    const gate = deferred()
    const running = pressure.shed.run(() => gate.promise)
    const low = pressure.shed.run(() => 'low', { priority: 'low' }).catch((e: ShedError) => e)
    const normal = pressure.shed.run(() => 'normal').catch((e: ShedError) => e)
    // Full, and nothing in the queue is less urgent than another low: the newcomer is refused.
    const full = await pressure.shed.run(() => 'low again', { priority: 'low' }).catch((e: ShedError) => e)
    expect(full).toBeInstanceOf(ShedError)
    expect(full).toMatchObject({ reason: 'queue-full', level: 'warning', priority: 'low' })
    // A high newcomer takes the place of the oldest low waiter.
    const high = pressure.shed.run(() => 'high', { priority: 'high' })
    expect(await low).toMatchObject({ reason: 'queue-full', priority: 'low' })
    expect(pressure.shed.stats()).toMatchObject({ queued: 2, inFlight: 1 })
    gate.resolve()
    await running
    expect(await high).toBe('high')
    expect(await normal).toBe('normal')
    expect(pressure.shed.stats().refusedByReason['queue-full']).toBe(2)
    pressure.close()
  })

  it('refuses with queue-full at once when the queue size is 0', async () => {
    const pressure = manualController({ concurrency: { critical: 1 }, queue: { size: 0 } })
    pressure.force('critical')
    const gate = deferred()
    const running = pressure.shed.run(() => gate.promise)
    await expect(pressure.shed.run(() => 1)).rejects.toMatchObject({ reason: 'queue-full' })
    gate.resolve()
    await running
    pressure.close()
  })

  it('refuses with queue-timeout when the wait runs out, and the slot holders are unaffected', async () => {
    const pressure = manualController({
      concurrency: { emergency: 1 },
      queue: { timeoutMs: 500 },
      admission: { emergency: 'normal' },
    })
    pressure.force('emergency')
    const gate = deferred()
    const running = pressure.shed.run(() => gate.promise)
    const waiting = pressure.shed.run(() => 'late').catch((e: ShedError) => e)
    await vi.advanceTimersByTimeAsync(499)
    expect(pressure.shed.stats().queued).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(await waiting).toMatchObject({ reason: 'queue-timeout', level: 'emergency' })
    expect(pressure.shed.stats()).toMatchObject({ queued: 0, inFlight: 1 })
    gate.resolve()
    await running
    expect(pressure.shed.stats().inFlight).toBe(0)
    pressure.close()
  })

  it('lets critical work bypass both the table and the limit (and counts it in flight)', async () => {
    const pressure = manualController({ concurrency: { emergency: 1 }, admission: { emergency: 'normal' } })
    pressure.force('emergency')
    const gate = deferred()
    const runs = [
      pressure.shed.run(() => gate.promise),
      pressure.shed.run(() => gate.promise, { priority: 'critical' }),
    ]
    runs.push(pressure.shed.run(() => gate.promise, { priority: 'critical' }))
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 3, queued: 0 })
    // The limit still holds for everything else.
    const normal = pressure.shed.run(() => 'normal')
    expect(pressure.shed.stats().queued).toBe(1)
    gate.resolve()
    await Promise.all(runs)
    expect(await normal).toBe('normal')
    pressure.close()
  })

  it('admits queued work at once when the level drops and the limit is raised or lifted', async () => {
    const pressure = manualController({
      concurrency: { critical: 2, emergency: 1 },
      admission: { emergency: 'normal' },
    })
    pressure.force('emergency')
    const gate = deferred()
    const started: number[] = []
    const runs = [0, 1, 2, 3].map((i) =>
      pressure.shed.run(() => {
        started.push(i)
        return gate.promise
      }),
    )
    expect(started).toEqual([0])
    pressure.force('critical')
    expect(started).toEqual([0, 1])
    pressure.release() // back to normal: no limit
    expect(started).toEqual([0, 1, 2, 3])
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 4, queued: 0, limit: null })
    gate.resolve()
    await Promise.all(runs)
    pressure.close()
  })

  it('keeps running work when the limit drops below it, and admits no more until under the limit', async () => {
    const pressure = manualController({ concurrency: { critical: 1 } })
    const gates = [deferred(), deferred()]
    const runs = gates.map((g) => pressure.shed.run(() => g.promise))
    pressure.force('critical')
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 2, limit: 1 })
    const third = pressure.shed.run(() => 'third')
    gates[0]!.resolve()
    await runs[0]
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 1, queued: 1 })
    gates[1]!.resolve()
    await runs[1]
    expect(await third).toBe('third')
    pressure.close()
  })

  it('refuses queued work the new level no longer admits, with reason level', async () => {
    const pressure = manualController({ concurrency: { warning: 1 } })
    pressure.force('warning')
    const gate = deferred()
    const running = pressure.shed.run(() => gate.promise)
    const low = pressure.shed.run(() => 'low', { priority: 'low' }).catch((e: ShedError) => e)
    const high = pressure.shed.run(() => 'high', { priority: 'high' })
    pressure.force('critical') // refuses low; limit 1 still applies
    expect(await low).toMatchObject({ reason: 'level', level: 'critical', priority: 'low' })
    expect(pressure.shed.stats().queued).toBe(1)
    gate.resolve()
    await running
    expect(await high).toBe('high')
    pressure.close()
  })

  it('withdraws aborted waiters from the queue without a slot', async () => {
    const pressure = manualController({ concurrency: { critical: 1 } })
    pressure.force('critical')
    const gate = deferred()
    const running = pressure.shed.run(() => gate.promise)
    const controller = new AbortController()
    const fn = vi.fn()
    const waiting = pressure.shed.run(fn, { signal: controller.signal })
    expect(pressure.shed.stats().queued).toBe(1)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
    expect(pressure.shed.stats()).toMatchObject({ queued: 0, inFlight: 1 })
    gate.resolve()
    await running
    expect(fn).not.toHaveBeenCalled()
    expect(pressure.shed.stats()).toMatchObject({
      inFlight: 0,
      refusedByReason: { level: 0, 'queue-full': 0, 'queue-timeout': 0, closed: 0, memory: 0 },
    })
    pressure.close()
  })

  it('on close, refuses queued work with reason closed and admits everything afterwards', async () => {
    const pressure = manualController({ concurrency: { critical: 1 } })
    pressure.force('critical')
    const gate = deferred()
    const running = pressure.shed.run(() => gate.promise)
    const waiting = pressure.shed.run(() => 'never').catch((e: ShedError) => e)
    pressure.close()
    expect(await waiting).toMatchObject({ reason: 'closed' })
    expect(vi.getTimerCount()).toBe(0)
    expect(pressure.shed.admit('low')).toBe(true)
    await expect(pressure.shed.run(() => 'after close')).resolves.toBe('after close')
    gate.resolve()
    await running
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, limit: null })
  })
})

describe('shed.acquire', () => {
  it('releases exactly once however many times release() is called', () => {
    const pressure = manualController({ concurrency: { critical: 1 } })
    pressure.force('critical')
    const decisions: (string | undefined)[] = []
    const first = pressure.shed.acquire('normal', (error) => decisions.push(error?.reason))
    const second = pressure.shed.acquire('normal', (error) => decisions.push(error?.reason ?? 'second admitted'))
    expect([first.state, second.state]).toEqual(['admitted', 'waiting'])
    first.release()
    first.release()
    first.release()
    expect(second.state).toBe('admitted')
    expect(pressure.shed.stats().inFlight).toBe(1)
    second.release()
    second.release()
    expect(pressure.shed.stats().inFlight).toBe(0)
    expect(decisions).toEqual([undefined, 'second admitted'])
    pressure.close()
  })

  it('an immediate decision: what the callback throws reaches the caller of acquire(), not the error event', () => {
    const pressure = manualController({ concurrency: { critical: 1 } })
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    let held: { release(): void } | undefined
    expect(() =>
      pressure.shed.acquire('normal', (_error, permit) => {
        held = permit
        throw new Error('admitted callback broke')
      }),
    ).toThrow('admitted callback broke')
    expect(pressure.shed.stats().inFlight).toBe(1)
    held!.release()
    pressure.force('emergency')
    expect(() =>
      pressure.shed.acquire('low', (error) => {
        throw new Error(`refused callback broke: ${error?.reason}`)
      }),
    ).toThrow('refused callback broke: level')
    expect(errors).toEqual([])
    expect(pressure.shed.stats()).toMatchObject({ inFlight: 0, refused: { low: 1 } })
    pressure.close()
  })

  it('reports a throwing callback instead of throwing from a release', () => {
    const pressure = manualController({ concurrency: { critical: 1 } })
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    pressure.force('critical')
    const first = pressure.shed.acquire('normal', () => {})
    pressure.shed.acquire('normal', () => {
      throw new Error('callback broke')
    })
    expect(() => first.release()).not.toThrow()
    expect(errors.map((e) => e.message)).toEqual(['callback broke'])
    pressure.close()
  })

  it('validates its arguments', () => {
    const pressure = manualController()
    expect(() => pressure.shed.acquire('normal', 5 as never)).toThrow(
      /shed.acquire: argument `callback` must be a function/,
    )
    expect(() => pressure.shed.acquire('nope' as never, () => {})).toThrow(RangeError)
    expect(() => pressure.shed.acquire('normal', () => {}, { retryAfter: -1 })).toThrow(
      /option `retryAfter` must be an integer >= 0, got -1/,
    )
    pressure.close()
  })
})
