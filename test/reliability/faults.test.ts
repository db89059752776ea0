import { QueryClient } from '@tanstack/query-core'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createController,
  SourceError,
  TaskError,
  type Controller,
  type ControllerOptions,
  type Managed,
  type Reading,
} from '../../src/index.js'
import { manageQueryCache } from '../../src/query.js'
import { requireBuild, startFixture } from '../support/fixture-process.js'
import { emptyStats } from '../caches/helpers.js'

// Fault injection: sources, listeners, callbacks and caches that misbehave, and shutdowns at the
// worst moment. The rule under test (contract §1): nothing crashes, nothing leaks, every failure
// reaches 'error', and everything else keeps working.

afterEach(() => {
  vi.useRealTimers()
})

/** A controller driven by hand; records what reaches 'error'. */
function manual(options: ControllerOptions = {}) {
  const state = { t: 0, ratio: 0 }
  const pressure = createController({
    sources: [{ name: 'fake', read: () => ({ used: state.ratio, limit: 1 }) }],
    autoStart: false,
    now: () => state.t,
    ...options,
  })
  const errors: Error[] = []
  pressure.on('error', (e) => errors.push(e))
  return { pressure, errors, state }
}

function fill(cache: { set(key: number, value: number): unknown }, n: number): void {
  for (let i = 0; i < n; i++) cache.set(i, i)
}

// ---------------------------------------------------------------------------------------------
describe('sources that throw, hang or return garbage', () => {
  type Kind =
    | 'good'
    | 'throw'
    | 'NaN'
    | 'string'
    | 'null'
    | 'undefined'
    | 'negative'
    | 'zero limit'
    | 'infinite'
    | 'overflow'
    | 'hang'
    | 'reject'
  const readings: Record<Exclude<Kind, 'good' | 'throw'>, () => unknown> = {
    NaN: () => ({ used: Number.NaN, limit: 1 }),
    string: () => ({ used: '0.5', limit: '1' }),
    null: () => null,
    undefined: () => undefined,
    negative: () => ({ used: -5, limit: 10 }),
    'zero limit': () => ({ used: 1, limit: 0 }),
    infinite: () => ({ used: Infinity, limit: 1 }),
    // Both finite, but the ratio overflows to Infinity.
    overflow: () => ({ used: Number.MAX_VALUE, limit: Number.MIN_VALUE }),
    // Sources are synchronous by contract: a promise is garbage, whether it never settles...
    hang: () => new Promise(() => {}),
    // ...or rejects later (an `async read()` that throws): that must not become an unhandled rejection.
    reject: () => Promise.reject(new Error('async read failed')),
  }
  const kindArb = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant<Kind>('good'), ratio: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constantFrom<Kind>('throw', ...(Object.keys(readings) as Kind[])),
        ratio: fc.constant(0),
      }),
    },
  )

  it('under a running timer, every bad read is reported as a SourceError, sampling never stops, and the level follows the good readings only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kindArb, { minLength: 1, maxLength: 60 }), async (script) => {
        vi.useFakeTimers()
        let i = 0
        let bad = 0
        let lastGood: Reading | undefined
        // A twin fed the good readings only, at the same times: the level the chaos must not disturb.
        const twin = createController({
          sources: [{ name: 'twin', read: () => lastGood! }],
          autoStart: false,
          now: () => Date.now(),
          recoveryMs: 200,
        })
        const chaos = {
          name: 'chaos',
          read(): Reading {
            const step = script[i++ % script.length]!
            if (step.kind === 'good') {
              lastGood = { used: step.ratio, limit: 1 }
              twin.sample()
              return lastGood
            }
            bad++
            if (step.kind === 'throw') throw new Error('EIO')
            return readings[step.kind]() as Reading
          },
        }
        const errors: Error[] = []
        // The first sample is taken inside createController(), before any 'error' listener: the logger gets it.
        const logger = { error: (error: Error) => errors.push(error) }
        const pressure = createController({
          sources: [chaos],
          intervalMs: 100,
          fastIntervalMs: 100,
          sampleOnGc: false,
          recoveryMs: 200,
          now: () => Date.now(),
          logger,
        })
        pressure.on('error', (e) => errors.push(e))
        const samples = 2 * script.length
        for (let n = 1; n < samples; n++) {
          // Fake timers rethrow whatever a timer callback throws: this fails if anything escapes.
          await vi.advanceTimersByTimeAsync(100)
          expect(pressure.level).toBe(twin.level)
        }
        expect(i).toBe(samples) // one read per sample: the first at start, then one per interval
        expect(pressure.history()).toHaveLength(samples)
        expect(errors).toHaveLength(bad)
        expect(errors.every((e) => e instanceof SourceError && e.source === 'chaos')).toBe(true)
        expect(pressure.ratio).toBe(lastGood === undefined ? 0 : lastGood.used)
        pressure.close()
        twin.close()
        expect(vi.getTimerCount()).toBe(0)
        vi.useRealTimers()
      }),
      { numRuns: 60 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
describe('listeners and callbacks that throw', () => {
  it('every kind of callback failing at once: each failure reaches "error", nothing escapes a timer, every subsystem still follows the level', async () => {
    vi.useFakeTimers()
    let ratio = 0.3
    // A logger that fails too: errors thrown by 'error' listeners end there, and must stop there.
    const logger = {
      error: vi.fn((_error: unknown, _message?: string) => {
        throw new Error('logger down')
      }),
      info: vi.fn((_message: string) => {
        throw new Error('logger down')
      }),
    }
    const pressure = createController({
      sources: [{ name: 'fake', read: () => ({ used: ratio, limit: 1 }) }],
      intervalMs: 50,
      fastIntervalMs: 50,
      sampleOnGc: false,
      recoveryMs: 100,
      now: () => Date.now(),
      logger,
    })
    const errors: Error[] = []
    pressure.on('error', (e) => errors.push(e))
    pressure.on('error', () => {
      throw new Error('error listener')
    })
    const fail = (what: string) => () => {
      throw new Error(what)
    }
    const reject = (what: string) => () => Promise.reject(new Error(what))
    pressure.on('sample', fail('sample listener'))
    pressure.on('level', fail('level listener'))
    pressure.once('level', fail('once level listener'))
    const flag = pressure.features.flag('search', { offAt: 'critical' })
    flag.on('change', fail('flag listener')).on('change', reject('async flag listener'))
    pressure.shed.on('refused', fail('refused listener'))
    pressure.onLevel('warning', fail('enter hook'))
    pressure.onLevel('critical', reject('async enter hook'))
    pressure.onLevel('warning', fail('leave hook'), { on: 'leave' })
    const task = pressure.tasks.every('sync', 50, fail('task'), { pauseAt: 'emergency' })
    const cache = pressure.caches.lru<number, number>('c', {
      max: 100,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') throw new Error('dispose')
      },
    })
    fill(cache, 100)
    const seen = () => new Set(errors.map((e) => (e instanceof TaskError ? 'task' : e.message)))

    await vi.advanceTimersByTimeAsync(120) // normal: the task runs (and fails)
    ratio = 0.9
    await vi.advanceTimersByTimeAsync(60) // critical
    expect(pressure.level).toBe('critical')
    expect(cache.capacity).toBe(50)
    expect(cache.size).toBe(50)
    expect(flag.enabled).toBe(false)
    expect(pressure.shed.admit('low')).toBe(false)
    expect(pressure.shed.admit('normal')).toBe(true)
    ratio = 0.99
    await vi.advanceTimersByTimeAsync(60)
    expect(pressure.level).toBe('emergency')
    expect(task.paused).toBe(true)
    const runs = task.runs
    await vi.advanceTimersByTimeAsync(500)
    expect(task.runs).toBe(runs) // paused: no run while in emergency
    ratio = 0.1
    await vi.advanceTimersByTimeAsync(1_000) // staged recovery, one step per 100 ms
    expect(pressure.level).toBe('normal')
    expect(flag.enabled).toBe(true)
    expect(task.runs).toBeGreaterThan(runs)
    // The cache grows back from what emergency left it, by the samples of the running timer.
    expect(cache.capacity).toBeLessThan(100)
    await vi.advanceTimersByTimeAsync(30_000) // regrowMs
    expect(cache.capacity).toBe(100)

    expect(seen()).toEqual(
      new Set([
        'sample listener',
        'level listener',
        'once level listener',
        'flag listener',
        'async flag listener',
        'refused listener',
        'enter hook',
        'async enter hook',
        'leave hook',
        'task',
        'dispose',
      ]),
    )
    // Only the throwing 'error' listener's failures, and the level log lines, reached the (broken) logger.
    expect(logger.error.mock.calls.every(([, message]) => message === 'heapguard: error listener')).toBe(true)
    expect(logger.error).toHaveBeenCalledTimes(errors.length)
    expect(logger.info).toHaveBeenCalledTimes(pressure.transitions().length)
    pressure.close()
    expect(vi.getTimerCount()).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
describe('close() during a sliced trim of a big cache', () => {
  const BIG = 200_000
  type Closer = (pressure: Controller) => void | Promise<void>

  /** Fills a big cache, forces emergency, lets `slices` slices run, then closes in the way given. */
  async function closeDuringTrim(
    close: 'between slices' | 'from a level listener' | 'from a dispose inside a slice' | 'by shutdown()',
  ) {
    vi.useFakeTimers()
    const { pressure, errors } = manual()
    let closeFromDispose = false
    const cache = pressure.caches.lru<number, number>('big', {
      max: BIG,
      dispose: (_v, _k, reason) => {
        if (closeFromDispose && reason === 'evict') {
          closeFromDispose = false
          pressure.close()
        }
      },
    })
    fill(cache, BIG)
    if (close === 'from a level listener') pressure.on('level', () => pressure.close())
    pressure.force('emergency')
    if (!pressure.closed) {
      expect(cache.capacity).toBe(BIG / 10)
      expect(vi.getTimerCount()).toBeGreaterThan(0) // the rest of the trim waits for slices
      vi.advanceTimersToNextTimer() // one slice
      expect(cache.size).toBeGreaterThan(BIG / 10)
      const closer: Record<string, Closer> = {
        'between slices': (p) => p.close(),
        'from a dispose inside a slice': () => {
          closeFromDispose = true
          vi.advanceTimersToNextTimer()
        },
        'by shutdown()': (p) => p.shutdown(),
      }
      await closer[close]!(pressure)
    }
    expect(pressure.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0) // no slice, no timer left behind
    const left = cache.size
    vi.runAllTimers()
    expect(cache.size).toBe(left) // nothing trims after close
    // Released: a plain LRU bounded by its own max again.
    expect(cache.capacity).toBe(BIG)
    cache.set(-1, -1)
    expect(cache.get(-1)).toBe(-1)
    expect(errors).toEqual([])
    return { left }
  }

  it.each(['between slices', 'from a level listener', 'from a dispose inside a slice', 'by shutdown()'] as const)(
    'closing %s stops the slices, leaves no timer and no error',
    async (how) => {
      const { left } = await closeDuringTrim(how)
      expect(left).toBeGreaterThan(BIG / 10)
    },
  )
})

// ---------------------------------------------------------------------------------------------
describe('caches unregistered during a resize', () => {
  it('a Managed whose resize() unregisters a big cache in mid-trim (registered before or after it): no slice, no timer, no error', () => {
    vi.useFakeTimers()
    for (const order of ['big first', 'big last'] as const) {
      const { pressure, errors } = manual()
      const calls: number[] = []
      const evictor: Managed = {
        resize: (m) => {
          calls.push(m)
          if (m < 1) pressure.caches.unregister('big')
        },
        clear() {},
        stats: () => emptyStats('evictor'),
      }
      const make = () => pressure.caches.lru<number, number>('big', { max: 100_000 })
      const big = order === 'big first' ? make() : undefined
      pressure.caches.register('evictor', evictor)
      const cache = big ?? make()
      const other = pressure.caches.lru<number, number>('other', { max: 100 })
      fill(cache, 100_000)
      fill(other, 100)
      pressure.force('critical')
      expect(pressure.caches.names()).toEqual(['evictor', 'other'])
      expect(cache.capacity).toBe(100_000) // unmanaged again
      expect(other.capacity).toBe(50)
      expect(other.size).toBe(50)
      expect(vi.getTimerCount()).toBe(0)
      pressure.force('emergency')
      expect(cache.capacity).toBe(100_000) // no more resizes
      expect(calls).toEqual([1, 0.5, 0.1])
      expect(errors).toEqual([])
      pressure.close()
    }
  })

  it('a Managed that unregisters itself and then throws is reported once and never called again', () => {
    const { pressure, errors } = manual({ regrowMs: 0 }) // `after` is back at max the moment the level is normal
    const boom = new Error('resize failed after unregistering')
    let calls = 0
    const quitter: Managed = {
      resize: (m) => {
        calls++
        if (m < 1) {
          pressure.caches.unregister('quitter')
          throw boom
        }
      },
      clear() {},
      stats: () => emptyStats('quitter'),
    }
    pressure.caches.register('quitter', quitter)
    const after = pressure.caches.lru<number, number>('after', { max: 10 })
    pressure.force('warning')
    pressure.force('emergency')
    pressure.release()
    expect(calls).toBe(2)
    expect(errors).toEqual([boom])
    expect(after.capacity).toBe(10)
    expect(pressure.caches.has('quitter')).toBe(false)
  })

  it('a big cache whose own disposer unregisters it in the middle of a slice stops trimming there', () => {
    vi.useFakeTimers()
    const { pressure, errors } = manual()
    let evicted = 0
    const cache = pressure.caches.lru<number, number>('big', {
      max: 100_000,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict' && ++evicted === 5_000) pressure.caches.unregister('big')
      },
    })
    fill(cache, 100_000)
    pressure.force('emergency')
    vi.runAllTimers()
    expect(vi.getTimerCount()).toBe(0)
    expect(pressure.caches.has('big')).toBe(false)
    expect(cache.capacity).toBe(100_000)
    // The chunk in progress may finish; then nothing more goes.
    expect(100_000 - cache.size).toBeLessThan(5_000 + 256)
    expect(errors).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
describe('a Managed whose resize() throws or rejects', () => {
  it('is reported, and the caches registered after it are still resized', async () => {
    const { pressure, errors } = manual()
    const thrown = new Error('resize threw')
    const rejected = new Error('resize rejected')
    const stats = () => ({
      name: 'x',
      priority: 'normal' as const,
      entries: 0,
      bytes: 0,
      capacity: 0,
      multiplier: 1,
      hits: 0,
      misses: 0,
      evictions: 0,
      hitRatio: 0,
    })
    pressure.caches.register('throws', {
      resize: (m) => {
        if (m < 1) throw thrown
      },
      clear() {},
      stats,
    })
    pressure.caches.register('rejects', {
      resize: (m) => (m < 1 ? Promise.reject(rejected) : Promise.resolve()),
      clear() {},
      stats,
    })
    const lru = pressure.caches.lru<number, number>('lru', { max: 100, priority: 'optional' })
    fill(lru, 100)
    pressure.force('warning')
    expect(lru.capacity).toBe(50)
    expect(lru.size).toBe(50)
    await Promise.resolve()
    expect(errors).toEqual([thrown, rejected])
  })
})

// ---------------------------------------------------------------------------------------------
describe('a TanStack QueryCache that misbehaves', () => {
  async function withQueries(n: number) {
    const client = new QueryClient({
      defaultOptions: { queries: { gcTime: Infinity, retry: false, staleTime: Infinity } },
    })
    for (let id = 0; id < n; id++) await client.prefetchQuery({ queryKey: ['item', id], queryFn: async () => ({ id }) })
    return { client, queryCache: client.getQueryCache() }
  }

  it('getAll() failing when the adapter attaches is reported; the registry goes on, and the adapter attaches at the next resize', async () => {
    const { pressure, errors } = manual()
    const { client, queryCache } = await withQueries(10)
    const getAll = queryCache.getAll.bind(queryCache)
    queryCache.getAll = () => {
      throw new Error('getAll failed')
    }
    const managed = pressure.caches.register('queries', manageQueryCache(queryCache, { maxQueries: 10 }), {
      priority: 'optional',
    })
    const lru = pressure.caches.lru<number, number>('lru', { max: 10 })
    fill(lru, 10)
    expect(errors.map((e) => e.message)).toEqual(['getAll failed'])
    queryCache.getAll = getAll
    pressure.force('warning')
    expect(managed.attached).toBe(true)
    expect(managed.capacity).toBe(5)
    expect(queryCache.getAll()).toHaveLength(5)
    expect(lru.capacity).toBe(7)
    pressure.close()
    client.clear()
  })

  it('remove() failing during a pressure trim is reported, the other caches are still resized, and the next trim succeeds', async () => {
    const { pressure, errors } = manual()
    const { client, queryCache } = await withQueries(10)
    const managed = pressure.caches.register('queries', manageQueryCache(queryCache, { maxQueries: 10 }), {
      priority: 'optional',
    })
    const lru = pressure.caches.lru<number, number>('lru', { max: 10, priority: 'optional' })
    fill(lru, 10)
    const remove = queryCache.remove.bind(queryCache)
    queryCache.remove = () => {
      throw new Error('remove failed')
    }
    pressure.force('critical') // optional: multiplier 0
    expect(errors.map((e) => e.message)).toEqual(['remove failed'])
    expect(lru.size).toBe(0)
    expect(managed.capacity).toBe(0)
    queryCache.remove = remove
    expect(managed.trim()).toBe(10)
    expect(queryCache.getAll()).toHaveLength(0)
    pressure.close()
    client.clear()
  })
})

// ---------------------------------------------------------------------------------------------
describe('a task that never resolves', () => {
  it('runs once: no second run is ever started; pause, runNow, stop and close still work and leave no timer', async () => {
    vi.useFakeTimers()
    const { pressure, errors } = manual()
    const signals: AbortSignal[] = []
    const fn = vi.fn((signal: AbortSignal) => {
      signals.push(signal)
      return new Promise(() => {}) // ignores its signal, never settles
    })
    const task = pressure.tasks.every('hang', 100, fn)
    await vi.advanceTimersByTimeAsync(100)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(task.running).toBe(true)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(fn).toHaveBeenCalledTimes(1)
    pressure.force('warning')
    expect(task.paused).toBe(true)
    pressure.release()
    expect(task.paused).toBe(false)
    await vi.advanceTimersByTimeAsync(60_000)
    const again = task.runNow()
    expect(fn).toHaveBeenCalledTimes(1) // runNow() joins the run in progress
    void again
    const stopped = task.stop()
    expect(task.stopped).toBe(true)
    expect(signals[0]!.aborted).toBe(true)
    let settled = false
    void stopped.then(() => (settled = true))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(settled).toBe(false) // stop() waits for the run, which never ends: documented
    await expect(task.runNow()).resolves.toBeUndefined() // a stopped task does not run
    pressure.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(errors).toEqual([])
  })

  it('close() aborts its signal and leaves no timer, without waiting for it', async () => {
    vi.useFakeTimers()
    const { pressure } = manual()
    let signal: AbortSignal | undefined
    pressure.tasks.every('hang', 10, (s) => {
      signal = s
      return new Promise(() => {})
    })
    await vi.advanceTimersByTimeAsync(10)
    pressure.close()
    expect(signal!.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
describe('a real process full of faults', () => {
  it('nothing escapes as an uncaught exception or unhandled rejection, errors reach "error", and the process exits by itself', async () => {
    requireBuild()
    const fixture = startFixture('reliability-faults.mjs', { nodeArgs: ['--expose-gc'], timeoutMs: 20_000 })
    const exit = await fixture.exited
    const done = fixture.lines.find((l) => l.event === 'done')
    const final = fixture.lines.find((l) => l.event === 'exit')
    expect({ exit, stderr: fixture.stderr() }).toMatchObject({
      exit: { code: 0, signal: null, timedOut: false },
      stderr: '',
    })
    expect(done).toMatchObject({ level: 'emergency', closed: true, trimStopped: true, taskRuns: 1 })
    expect(done!.samples as number).toBeGreaterThan(5)
    expect(new Set(done!.kinds as string[])).toEqual(
      new Set([
        'SourceError',
        'sample listener',
        'level listener',
        'flag listener',
        'refused listener',
        'hook',
        'TaskError',
        'resize',
      ]),
    )
    // Checked in the 'exit' handler, after everything pending had its chance to fail.
    expect(final).toEqual({ event: 'exit', uncaught: 0, unhandled: 0 })
    // It ended by itself soon after closing: nothing kept the event loop alive.
    expect(exit.ms).toBeLessThan(15_000)
  })
})
