import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { drive } from '../../support/drive.js'
import { TimeoutError, withTimeout } from '../../../src/index.js'

const never = () => new Promise<never>(() => {})

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Records how a promise settled without letting a rejection go unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false }
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  )
  return state
}

describe('withTimeout: in time', () => {
  it('resolves with the result of a function (given a live signal), a promise or a plain value, and clears its timer', async () => {
    let given: AbortSignal | undefined
    await expect(
      withTimeout(async (signal) => {
        given = signal
        return 42
      }, 1000),
    ).resolves.toBe(42)
    expect(given).toBeInstanceOf(AbortSignal)
    expect(given!.aborted).toBe(false)
    await expect(withTimeout(Promise.resolve('p'), 1000)).resolves.toBe('p')
    await expect(withTimeout(() => 'sync', 1000)).resolves.toBe('sync')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('passes on the rejection of the work, and a synchronous throw, clearing the timer', async () => {
    await expect(withTimeout(() => Promise.reject(new Error('db down')), 1000)).rejects.toThrow('db down')
    await expect(
      withTimeout(() => {
        throw new Error('sync throw')
      }, 1000),
    ).rejects.toThrow('sync throw')
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('withTimeout: too late', () => {
  it('rejects with a TimeoutError after ms and aborts the signal given to the work with it', async () => {
    let given: AbortSignal | undefined
    const state = track(
      withTimeout(
        (signal) => {
          given = signal
          return never()
        },
        500,
        { label: 'checkout transaction' },
      ),
    )
    await vi.advanceTimersByTimeAsync(499)
    expect(state.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(state.error).toBeInstanceOf(TimeoutError)
    expect(state.error).toMatchObject({
      name: 'TimeoutError',
      code: 'HEAPGUARD_TIMEOUT',
      ms: 500,
      message: 'heapguard: checkout transaction timed out after 500 ms',
    })
    expect(given!.aborted).toBe(true)
    expect(given!.reason).toBe(state.error)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('lets the work really stop: a loop that checks its signal ends', async () => {
    let iterations = 0
    const work = withTimeout(async (signal) => {
      while (!signal.aborted) {
        iterations++
        await new Promise((r) => setTimeout(r, 10))
      }
      return 'stopped'
    }, 100)
    const state = track(work)
    await vi.advanceTimersByTimeAsync(1000)
    expect(state.error).toBeInstanceOf(TimeoutError)
    expect(iterations).toBeLessThanOrEqual(11)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('swallows a late rejection of timed-out work: nothing is left unhandled', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const state = track(
        withTimeout(new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 2000)), 100),
      )
      const fnState = track(
        withTimeout(() => new Promise((_, reject) => setTimeout(() => reject(new Error('late too')), 2000)), 100),
      )
      await vi.advanceTimersByTimeAsync(3000)
      // real turns of the loop, for the 'unhandledRejection' check to run
      vi.useRealTimers()
      await new Promise((r) => setTimeout(r, 20))
      expect(state.error).toBeInstanceOf(TimeoutError)
      expect(fnState.error).toBeInstanceOf(TimeoutError)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('withTimeout: the caller signal', () => {
  it("aborting the caller's signal aborts the work and rejects with its reason", async () => {
    const caller = new AbortController()
    let given: AbortSignal | undefined
    const state = track(
      withTimeout(
        (signal) => {
          given = signal
          return never()
        },
        10_000,
        { signal: caller.signal },
      ),
    )
    caller.abort(new Error('client went away'))
    await vi.advanceTimersByTimeAsync(0)
    expect(state.error).toEqual(new Error('client went away'))
    expect(given!.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('an already aborted signal rejects at once without starting the work', async () => {
    const fn = vi.fn()
    const reason = new Error('already gone')
    await expect(withTimeout(fn, 1000, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(fn).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('removes its listener from the caller signal once settled', async () => {
    const caller = new AbortController()
    const add = vi.spyOn(caller.signal, 'addEventListener')
    const remove = vi.spyOn(caller.signal, 'removeEventListener')
    await withTimeout(() => 1, 1000, { signal: caller.signal })
    expect(add).toHaveBeenCalledTimes(1)
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]![1])
  })
})

describe('withTimeout: scaled ms', () => {
  it('reads a scaled value at the call, so timeouts shorten under pressure', async () => {
    const { pressure } = drive()
    const ms = pressure.limits.scale({ normal: 5000, critical: 1000 })
    const relaxed = track(withTimeout(never, ms))
    pressure.force('critical')
    const tight = track(pressure.limits.withTimeout(never, ms))
    await vi.advanceTimersByTimeAsync(1000)
    expect(tight.error).toMatchObject({ ms: 1000 })
    expect(relaxed.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(4000)
    expect(relaxed.error).toMatchObject({ ms: 5000 })
    pressure.close()
  })
})

describe('withTimeout: validation', () => {
  it('rejects bad arguments (as a rejected promise) with messages naming them', async () => {
    await expect(withTimeout(5 as never, 100)).rejects.toThrow(
      new TypeError('withTimeout: argument `work` must be a function or a promise, got 5 (number)'),
    )
    await expect(withTimeout(never, 0)).rejects.toThrow(
      new RangeError('withTimeout: argument `ms` must be a finite number > 0 and <= 2147483647, got 0 (number)'),
    )
    await expect(withTimeout(never, -1)).rejects.toThrow(RangeError)
    await expect(withTimeout(never, Infinity)).rejects.toThrow(RangeError)
    await expect(withTimeout(never, 2 ** 31)).rejects.toThrow(RangeError)
    await expect(withTimeout(never, '100' as never)).rejects.toThrow(TypeError)
    await expect(withTimeout(never, { value: -5 })).rejects.toThrow(
      new RangeError(
        'withTimeout: the current value of argument `ms` must be a finite number > 0 and <= 2147483647, got -5 (number)',
      ),
    )
    await expect(withTimeout(never, 100, { signal: {} as never })).rejects.toThrow(
      new TypeError('withTimeout: option `signal` must be an AbortSignal, got an object'),
    )
    await expect(withTimeout(never, 100, { timeout: 5 } as never)).rejects.toThrow(
      new TypeError('withTimeout: unknown option `timeout` (known: signal, label)'),
    )
    await expect(withTimeout(never, 100, { label: '' })).rejects.toThrow(TypeError)
    // a promise handed in with bad options is still not left unhandled
    await expect(withTimeout(Promise.reject(new Error('x')), 0)).rejects.toThrow(RangeError)
    expect(vi.getTimerCount()).toBe(0)
  })
})
