import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { drive } from '../support/drive.js'
import { TaskError } from '../../src/index.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A promise the test settles, with a flag saying whether it did. */
function gate() {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

describe('tasks.every: the rhythm', () => {
  it('runs every intervalMs, the first after one interval, and records runs and lastRunAt', async () => {
    const { pressure, clock } = drive()
    const fn = vi.fn()
    const task = pressure.tasks.every('cleanup', 1000, fn)
    await vi.advanceTimersByTimeAsync(999)
    expect(fn).not.toHaveBeenCalled()
    clock.t = 1234
    await vi.advanceTimersByTimeAsync(1)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(fn.mock.calls[0]![0]).toBeInstanceOf(AbortSignal)
    expect(task.runs).toBe(1)
    expect(task.lastRunAt).toBe(1234)
    await vi.advanceTimersByTimeAsync(3000)
    expect(fn).toHaveBeenCalledTimes(4)
    pressure.close()
  })

  it('awaits async work and never starts a second run while one is in progress', async () => {
    const { pressure } = drive()
    let active = 0
    let maxActive = 0
    const starts: number[] = []
    const task = pressure.tasks.every('slow', 1000, async () => {
      starts.push(Date.now())
      maxActive = Math.max(maxActive, ++active)
      await new Promise((r) => setTimeout(r, 5000))
      active--
    })
    const t0 = Date.now()
    await vi.advanceTimersByTimeAsync(1000)
    expect(task.running).toBe(true)
    await vi.advanceTimersByTimeAsync(12_000)
    // 1000 (run 5 s) → 7000 (run 5 s) → 13000: the interval counts from the end of a run
    expect(starts.map((s) => s - t0)).toEqual([1000, 7000, 13_000])
    expect(maxActive).toBe(1)
    pressure.close()
  })

  it('reports a throw or a rejection as a TaskError and keeps running', async () => {
    const { pressure, errors } = drive()
    let n = 0
    const task = pressure.tasks.every('flaky', 100, () => {
      n++
      if (n === 1) throw new Error('boom')
      if (n === 2) return Promise.reject(new Error('async boom'))
    })
    await vi.advanceTimersByTimeAsync(300)
    expect(n).toBe(3)
    expect(task.failures).toBe(2)
    expect(task.runs).toBe(3)
    expect(errors).toHaveLength(2)
    expect(errors[0]).toBeInstanceOf(TaskError)
    expect(errors[0]).toMatchObject({ task: 'flaky', message: 'heapguard: task "flaky" failed: boom' })
    expect((errors[1] as TaskError).cause).toEqual(new Error('async boom'))
    pressure.close()
  })
})

describe('pausing under pressure', () => {
  it("pauses at 'warning' by default and runs once, promptly, on recovery when runs were missed", async () => {
    const { pressure } = drive()
    const fn = vi.fn()
    const task = pressure.tasks.every('cleanup', 1000, fn)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fn).toHaveBeenCalledTimes(1)
    pressure.force('warning')
    expect(task.paused).toBe(true)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fn).toHaveBeenCalledTimes(1)
    pressure.release()
    expect(task.paused).toBe(false)
    // not inside the level change itself, but on the next turn
    expect(fn).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(0)
    expect(fn).toHaveBeenCalledTimes(2)
    // then the usual rhythm: one more after intervalMs, not a burst for the runs missed
    await vi.advanceTimersByTimeAsync(999)
    expect(fn).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(fn).toHaveBeenCalledTimes(3)
    pressure.close()
  })

  it('a pause shorter than the wait for the next run changes nothing', async () => {
    const { pressure } = drive()
    const fn = vi.fn()
    pressure.tasks.every('cleanup', 1000, fn)
    await vi.advanceTimersByTimeAsync(200)
    pressure.force('critical')
    await vi.advanceTimersByTimeAsync(300)
    pressure.release()
    await vi.advanceTimersByTimeAsync(0)
    expect(fn).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(500)
    expect(fn).toHaveBeenCalledTimes(1)
    pressure.close()
  })

  it('follows pauseAt and the staged recovery of the effective level', async () => {
    const { pressure, feed } = drive({ recoveryMs: 100 })
    const fn = vi.fn()
    const task = pressure.tasks.every('report', 1000, fn, { pauseAt: 'critical' })
    feed(0.75, 0)
    expect(task.paused).toBe(false)
    feed(0.9, 1)
    expect(task.paused).toBe(true)
    feed(0.1, 2)
    feed(0.1, 102) // critical -> warning: resumed
    expect(pressure.level).toBe('warning')
    expect(task.paused).toBe(false)
    pressure.close()
  })

  it('a task registered while paused waits for the recovery, then runs at once', async () => {
    const { pressure } = drive()
    pressure.force('emergency')
    const fn = vi.fn()
    const task = pressure.tasks.every('late', 500, fn, { pauseAt: 'emergency' })
    expect(task.paused).toBe(true)
    await vi.advanceTimersByTimeAsync(5000)
    expect(fn).not.toHaveBeenCalled()
    // while paused, no timer wakes the process up
    expect(vi.getTimerCount()).toBe(0)
    pressure.force('critical')
    await vi.advanceTimersByTimeAsync(0)
    expect(fn).toHaveBeenCalledTimes(1)
    pressure.close()
  })

  it('a run in progress when the pause starts finishes; the next waits for the recovery', async () => {
    const { pressure } = drive()
    const g = gate()
    const fn = vi.fn(() => g.promise)
    const task = pressure.tasks.every('t', 100, fn)
    await vi.advanceTimersByTimeAsync(100)
    pressure.force('warning')
    expect(task.running).toBe(true)
    g.open()
    await vi.advanceTimersByTimeAsync(1000)
    expect(task.running).toBe(false)
    expect(fn).toHaveBeenCalledTimes(1)
    pressure.release()
    await vi.advanceTimersByTimeAsync(0)
    expect(fn).toHaveBeenCalledTimes(2)
    pressure.close()
  })
})

describe('stop, close, runNow, re-registration', () => {
  it('stop() ends the task, aborts the signal of the run in progress and resolves when it settles', async () => {
    const { pressure } = drive()
    let signal: AbortSignal | undefined
    const g = gate()
    const task = pressure.tasks.every('t', 100, (s) => {
      signal = s
      return g.promise
    })
    await vi.advanceTimersByTimeAsync(100)
    let stopped = false
    void task.stop().then(() => (stopped = true))
    expect(signal!.aborted).toBe(true)
    expect(task.stopped).toBe(true)
    await vi.advanceTimersByTimeAsync(0)
    expect(stopped).toBe(false)
    g.open()
    await vi.advanceTimersByTimeAsync(0)
    expect(stopped).toBe(true)
    await vi.advanceTimersByTimeAsync(1000)
    expect(task.runs).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
    await task.stop() // idempotent
    pressure.close()
  })

  it('close() stops every task and clears their timers', async () => {
    const { pressure } = drive()
    const a = pressure.tasks.every('a', 100, () => {})
    const b = pressure.tasks.every('b', 100, () => {})
    expect(vi.getTimerCount()).toBe(2)
    pressure.close()
    expect(a.stopped && b.stopped).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    expect(() => pressure.tasks.every('c', 100, () => {})).toThrow('heapguard: tasks.every("c") called after close()')
  })

  it('runNow() runs at once even while paused, never doubles a run in progress, and restarts the interval', async () => {
    const { pressure } = drive()
    const g = gate()
    const fn = vi.fn(() => g.promise)
    const task = pressure.tasks.every('t', 1000, fn)
    pressure.force('warning')
    const first = task.runNow()
    expect(task.runNow()).toBe(first)
    expect(fn).toHaveBeenCalledTimes(1)
    g.open()
    await first
    pressure.release()
    await vi.advanceTimersByTimeAsync(999)
    expect(fn).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(fn).toHaveBeenCalledTimes(2)
    await task.stop()
    await task.runNow()
    expect(fn).toHaveBeenCalledTimes(2)
    pressure.close()
  })

  it('registering a name again stops the earlier task and replaces it (module reloads)', async () => {
    const { pressure } = drive()
    const old = vi.fn()
    const neu = vi.fn()
    const first = pressure.tasks.every('cleanup', 100, old)
    const second = pressure.tasks.every('cleanup', 100, neu)
    expect(first.stopped).toBe(true)
    expect(pressure.tasks.get('cleanup')).toBe(second)
    await vi.advanceTimersByTimeAsync(100)
    expect(old).not.toHaveBeenCalled()
    expect(neu).toHaveBeenCalledTimes(1)
    expect(pressure.tasks.list().map((t) => t.name)).toEqual(['cleanup'])
    pressure.close()
  })
})

describe('replacing and stopping tasks', () => {
  it('a replacement never runs alongside the run in progress of the task it replaced', async () => {
    const { pressure } = drive()
    const g = gate()
    const log: string[] = []
    let running = 0
    let overlapped = false
    const track = (label: string, wait?: Promise<void>) => async () => {
      running++
      if (running > 1) overlapped = true
      log.push(`${label} start`)
      await wait
      log.push(`${label} end`)
      running--
    }
    const first = pressure.tasks.every('sync', 100, track('old', g.promise))
    await vi.advanceTimersByTimeAsync(100)
    expect(first.running).toBe(true)
    const second = pressure.tasks.every('sync', 100, track('new'))
    expect(first.stopped).toBe(true)
    // The old run outlasts the new task's interval several times over: the new one waits.
    await vi.advanceTimersByTimeAsync(500)
    expect(log).toEqual(['old start'])
    expect(second.runs).toBe(0)
    g.open()
    await vi.advanceTimersByTimeAsync(0)
    expect(log).toEqual(['old start', 'old end', 'new start', 'new end'])
    expect(overlapped).toBe(false)
    expect(second.runs).toBe(1)
    // Then the new task keeps its own rhythm.
    await vi.advanceTimersByTimeAsync(100)
    expect(second.runs).toBe(2)
    pressure.close()
  })

  it('a replacement whose old task is stopped and idle runs on its own schedule', async () => {
    const { pressure } = drive()
    const fn = vi.fn()
    pressure.tasks.every('idle', 100, () => {})
    const second = pressure.tasks.every('idle', 100, fn)
    await vi.advanceTimersByTimeAsync(100)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(second.runs).toBe(1)
    pressure.close()
  })

  it('forgets stopped tasks, so dynamic names do not pile up', async () => {
    const { pressure } = drive()
    const tasks = Array.from({ length: 50 }, (_, i) => pressure.tasks.every(`job-${i}`, 1000, () => {}))
    expect(pressure.tasks.list()).toHaveLength(50)
    for (const task of tasks.slice(0, 49)) await task.stop()
    expect(pressure.tasks.list().map((t) => t.name)).toEqual(['job-49'])
    expect(pressure.tasks.get('job-0')).toBeUndefined()
    // A stale handle to a replaced task stopping later does not remove its replacement.
    const a = pressure.tasks.every('same', 1000, () => {})
    const b = pressure.tasks.every('same', 1000, () => {})
    await a.stop()
    expect(pressure.tasks.get('same')).toBe(b)
    pressure.close()
    expect(pressure.tasks.list()).toEqual([])
    expect(b.stopped).toBe(true)
  })
})

describe('tasks.list()', () => {
  it('gives every task in the exact shape the dashboard reads', async () => {
    const { pressure, clock } = drive()
    clock.t = 5000
    pressure.tasks.every('cleanup', 1000, () => {
      throw new Error('x')
    })
    const g = gate()
    pressure.tasks.every('report', 250, () => g.promise, { pauseAt: 'critical' })
    const stopped = pressure.tasks.every('old', 100, () => {})
    await stopped.stop()
    await vi.advanceTimersByTimeAsync(1000)
    pressure.force('warning')
    expect(pressure.tasks.list()).toStrictEqual([
      {
        name: 'cleanup',
        intervalMs: 1000,
        pauseAt: 'warning',
        paused: true,
        running: false,
        runs: 1,
        failures: 1,
        lastRunAt: 5000,
        stopped: false,
      },
      {
        name: 'report',
        intervalMs: 250,
        pauseAt: 'critical',
        paused: false,
        running: true,
        runs: 1,
        failures: 0,
        lastRunAt: 5000,
        stopped: false,
      },
    ])
    // A stopped task is forgotten by the scheduler; its own info() still tells it stopped.
    expect(pressure.tasks.get('old')).toBeUndefined()
    expect(stopped.info()).toMatchObject({ name: 'old', stopped: true, runs: 0 })
    g.open()
    pressure.close()
  })
})

describe('validation', () => {
  it('rejects bad arguments with messages naming them', () => {
    const { pressure } = drive()
    const t = pressure.tasks
    const fn = () => {}
    expect(() => t.every('', 100, fn)).toThrow(
      new TypeError('tasks.every: argument `name` must be a non-empty string, got "" (string)'),
    )
    expect(() => t.every('x', 0, fn)).toThrow(
      new RangeError(
        'tasks.every: argument `intervalMs` must be a finite number > 0 and <= 2147483647, got 0 (number)',
      ),
    )
    expect(() => t.every('x', Infinity, fn)).toThrow(RangeError)
    expect(() => t.every('x', 2 ** 31, fn)).toThrow(RangeError)
    expect(() => t.every('x', '100' as never, fn)).toThrow(TypeError)
    expect(() => t.every('x', 100, null as never)).toThrow(
      new TypeError('tasks.every: argument `fn` must be a function, got null'),
    )
    expect(() => t.every('x', 100, fn, { pauseAt: 'normal' as never })).toThrow(
      new RangeError(
        "tasks.every: option `pauseAt` must be one of 'warning', 'critical', 'emergency', got \"normal\" (string)",
      ),
    )
    expect(() => t.every('x', 100, fn, { pause: 'warning' } as never)).toThrow(
      new TypeError('tasks.every: unknown option `pause` (known: pauseAt)'),
    )
    expect(t.list()).toEqual([])
    pressure.close()
  })
})
