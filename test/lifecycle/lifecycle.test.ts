import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { drive } from '../support/drive.js'
import { sharedController, TimeoutError, type Controller } from '../../src/index.js'
import { requireBuild, startFixture, type Fixture } from '../support/fixture-process.js'

const SLOT = Symbol.for('heapguard.controller')
const fake = () => ({ name: 'fake', read: () => ({ used: 1, limit: 100 }) })

function clearSlot(): void {
  const slot = (globalThis as Record<symbol, { controller: Controller } | undefined>)[SLOT]
  slot?.controller.close()
  delete (globalThis as Record<symbol, unknown>)[SLOT]
}

afterEach(() => {
  clearSlot()
  vi.restoreAllMocks()
  vi.useRealTimers()
})

describe('sharedController', () => {
  it('returns one controller per process, kept on globalThis under Symbol.for("heapguard.controller")', () => {
    const a = sharedController({ autoStart: false, sources: [fake()] })
    const b = sharedController({ autoStart: false, sources: [fake()] })
    expect(b).toBe(a)
    expect((globalThis as Record<symbol, { controller: Controller }>)[SLOT]!.controller).toBe(a)
  })

  it('two separately loaded copies of the module share one controller and start one timer', async () => {
    vi.useFakeTimers()
    const first = await import('../../src/index.js')
    vi.resetModules()
    const second = await import('../../src/index.js')
    // really two copies: two Controller classes
    expect(second.Controller).not.toBe(first.Controller)
    const options = { sources: [fake()], sampleOnGc: false }
    const a = first.sharedController(options)
    const b = second.sharedController(options)
    expect(b).toBe(a)
    expect(a).toBeInstanceOf(first.Controller)
    // one controller: one poll timer
    expect(vi.getTimerCount()).toBe(1)
  })

  it('replaces a closed shared controller on the next call', () => {
    const a = sharedController({ autoStart: false, sources: [fake()] })
    a.close()
    const b = sharedController({ autoStart: false, sources: [fake()] })
    expect(b).not.toBe(a)
    expect(b.closed).toBe(false)
  })

  it('returns the existing controller when options differ, and warns once', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const a = sharedController({ autoStart: false, sources: [fake()], recoveryMs: 1000 })
    // a reloaded module builds equal options from fresh closures: not a difference
    expect(sharedController({ autoStart: false, sources: [fake()], recoveryMs: 1000 })).toBe(a)
    expect(warn).not.toHaveBeenCalled()
    expect(sharedController({ autoStart: false, sources: [fake()], recoveryMs: 9000 })).toBe(a)
    expect(sharedController({ autoStart: false, sources: [fake()], recoveryMs: 5 })).toBe(a)
    expect(a.recoveryMs).toBe(1000)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]![0]).toMatch(
      /options that differ .* the existing controller is returned \(close\(\) it first to apply new options\)/,
    )
    expect(warn.mock.calls[0]![1]).toMatchObject({ code: 'HEAPGUARD_SHARED_OPTIONS_DIFFER' })
  })

  it('called without an argument, takes the shared controller as it is and never warns', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const a = sharedController({ autoStart: false, sources: [fake()], recoveryMs: 1000 })
    expect(sharedController()).toBe(a)
    expect(sharedController()).toBe(a)
    expect(warn).not.toHaveBeenCalled()
  })

  it('called without an argument and with none built yet, builds one with the defaults', () => {
    const a = sharedController()
    try {
      expect(a.closed).toBe(false)
      expect(sharedController()).toBe(a)
    } finally {
      a.close()
    }
  })

  it('lets bad options throw, and keeps nothing when they do', () => {
    expect(() => sharedController({ autoStart: false, sources: [fake()], hysteresis: -1 })).toThrow(RangeError)
    expect((globalThis as Record<symbol, unknown>)[SLOT]).toBeUndefined()
  })
})

describe('onShutdown and shutdown()', () => {
  it('runs the hooks one after the other in registration order, then closes the controller', async () => {
    const { pressure } = drive()
    const order: string[] = []
    pressure.onShutdown(async ({ reason, signal }) => {
      order.push(`server:start (${reason}, aborted ${signal.aborted})`)
      await new Promise((r) => setTimeout(r, 5))
      order.push('server:end')
    })
    pressure.onShutdown(() => {
      order.push(`db (closed ${pressure.closed})`)
    })
    await pressure.shutdown({ reason: 'deploy' })
    expect(order).toEqual(['server:start (deploy, aborted false)', 'server:end', 'db (closed false)'])
    expect(pressure.closed).toBe(true)
  })

  it('reports a failing hook by name and goes on; a second call returns the same promise', async () => {
    const { pressure, errors } = drive()
    const reported: string[] = []
    pressure.on('error', (e) => reported.push(e.message))
    pressure.onShutdown(
      () => {
        throw new Error('pool already closed')
      },
      { name: 'db' },
    )
    const after = vi.fn()
    pressure.onShutdown(after)
    const first = pressure.shutdown()
    expect(pressure.shutdown()).toBe(first)
    await first
    expect(after).toHaveBeenCalledTimes(1)
    expect(reported).toEqual(['heapguard: shutdown hook "db" failed: pool already closed'])
    expect(errors[0]!.cause).toEqual(new Error('pool already closed'))
  })

  it('closes anyway after timeoutMs, aborting the signal given to the hooks and reporting a TimeoutError', async () => {
    vi.useFakeTimers()
    const { pressure, errors } = drive()
    let hookSignal: AbortSignal | undefined
    const later = vi.fn()
    pressure.onShutdown(({ signal }) => {
      hookSignal = signal
      return new Promise(() => {})
    })
    pressure.onShutdown(later)
    let done = false
    void pressure.shutdown({ timeoutMs: 2000 }).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(1999)
    expect(done).toBe(false)
    expect(pressure.closed).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(done).toBe(true)
    expect(pressure.closed).toBe(true)
    expect(hookSignal!.aborted).toBe(true)
    expect(errors[0]).toBeInstanceOf(TimeoutError)
    expect(errors[0]!.message).toBe('heapguard: shutdown hooks timed out after 2000 ms')
    expect(later).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a named hook replaces the earlier one of that name (module reloads); the remover removes', async () => {
    const { pressure } = drive()
    const calls: string[] = []
    pressure.onShutdown(() => void calls.push('old'), { name: 'server' })
    pressure.onShutdown(() => void calls.push('new'), { name: 'server' })
    const remove = pressure.onShutdown(() => void calls.push('removed'))
    remove()
    await pressure.shutdown()
    expect(calls).toEqual(['new'])
  })

  it('rejects bad arguments with messages naming them', () => {
    const { pressure } = drive()
    expect(() => pressure.onShutdown('fn' as never)).toThrow(
      new TypeError('onShutdown: argument `fn` must be a function, got "fn" (string)'),
    )
    expect(() => pressure.onShutdown(() => {}, { name: '' })).toThrow(TypeError)
    expect(() => pressure.onShutdown(() => {}, { id: 'x' } as never)).toThrow(
      new TypeError('onShutdown: unknown option `id` (known: name)'),
    )
    expect(() => pressure.shutdown({ timeoutMs: 0 })).toThrow(
      new RangeError('shutdown: option `timeoutMs` must be a finite number > 0 and <= 2147483647, got 0 (number)'),
    )
    expect(() => pressure.shutdown({ reason: 5 } as never)).toThrow(TypeError)
    pressure.close()
  })
})

describe('closeOnSignals (in this process, exit: false)', () => {
  it('adds one handler per signal, runs the shutdown on a signal, and removes its handlers', async () => {
    const { pressure } = drive()
    const term = process.listenerCount('SIGTERM')
    const int = process.listenerCount('SIGINT')
    const reasons: string[] = []
    pressure.onShutdown(({ reason }) => void reasons.push(reason))
    const exitCode = process.exitCode
    pressure.closeOnSignals({ exit: false, hooks: [() => void reasons.push('from options')] })
    expect(process.listenerCount('SIGTERM')).toBe(term + 1)
    expect(process.listenerCount('SIGINT')).toBe(int + 1)
    process.emit('SIGTERM', 'SIGTERM')
    await vi.waitFor(() => expect(pressure.closed).toBe(true))
    expect(reasons).toEqual(['SIGTERM', 'from options'])
    expect(process.listenerCount('SIGTERM')).toBe(term)
    expect(process.listenerCount('SIGINT')).toBe(int)
    expect(process.exitCode).toBe(exitCode)
  })

  it('returns a remover; close() removes the handlers too; calling again replaces the installation', () => {
    const { pressure } = drive()
    const term = process.listenerCount('SIGTERM')
    const remove = pressure.closeOnSignals({ exit: false })
    remove()
    expect(process.listenerCount('SIGTERM')).toBe(term)
    pressure.closeOnSignals({ exit: false, signals: ['SIGTERM', 'SIGHUP', 'SIGTERM'] })
    pressure.closeOnSignals({ exit: false, signals: ['SIGTERM'] })
    expect(process.listenerCount('SIGTERM')).toBe(term + 1)
    expect(process.listenerCount('SIGHUP')).toBe(0)
    pressure.close()
    expect(process.listenerCount('SIGTERM')).toBe(term)
    expect(() => pressure.closeOnSignals()).toThrow('heapguard: closeOnSignals() called after close()')
  })

  it('rejects bad options with messages naming them', () => {
    const { pressure } = drive()
    const c = (o: unknown) => () => pressure.closeOnSignals(o as never)
    expect(c({ signals: [] })).toThrow(
      new TypeError('closeOnSignals: option `signals` must be a non-empty array of signal names, got an array'),
    )
    expect(c({ signals: 'SIGTERM' })).toThrow(TypeError)
    expect(c({ signals: ['SIGKILL'] })).toThrow(
      new RangeError(
        'closeOnSignals: option `signals` must hold catchable signal names such as \'SIGTERM\', got "SIGKILL" (string)',
      ),
    )
    expect(c({ signals: ['SIGFOO'] })).toThrow(RangeError)
    expect(c({ timeoutMs: -1 })).toThrow(
      new RangeError(
        'closeOnSignals: option `timeoutMs` must be a finite number > 0 and <= 2147483647, got -1 (number)',
      ),
    )
    expect(c({ hooks: [() => {}, 3] })).toThrow(
      new TypeError('closeOnSignals: option `hooks[1]` must be a function, got 3 (number)'),
    )
    expect(c({ hooks: () => {} })).toThrow(TypeError)
    expect(c({ exit: 'yes' })).toThrow(
      new TypeError('closeOnSignals: option `exit` must be a boolean, got "yes" (string)'),
    )
    expect(c({ signal: ['SIGTERM'] })).toThrow(
      new TypeError('closeOnSignals: unknown option `signal` (known: signals, timeoutMs, hooks, exit)'),
    )
    expect(process.listenerCount('SIGFOO')).toBe(0)
    pressure.close()
  })
})

describe('real processes', () => {
  beforeAll(requireBuild)

  async function startApp(mode: string): Promise<Fixture> {
    const app = startFixture('degrade-signals.mjs', { args: [mode] })
    const ready = await app.waitFor('ready')
    const res = await fetch(`http://127.0.0.1:${ready.port as number}/`)
    expect(await res.json()).toEqual({ level: expect.any(String) })
    return app
  }
  const events = (f: Fixture) =>
    f.lines
      .filter((l) => l.event !== 'ready' && l.event !== 'error')
      .map((l) => l.event + (l.name ? ` ${l.name as string}` : ''))

  it('SIGTERM: a Fastify app runs its hooks in order, closes the controller and dies of SIGTERM (exit 143)', async () => {
    const app = await startApp('normal')
    app.child.kill('SIGTERM')
    const exit = await app.exited
    expect(exit.signal, app.stderr()).toBe('SIGTERM')
    expect(events(app)).toEqual(['hook server', 'hook db', 'hook done db', 'hook from options', 'closed'])
    expect(app.lines.find((l) => l.name === 'server')!.reason).toBe('SIGTERM')
  })

  it('SIGINT (Ctrl-C) ends it the same way, by SIGINT (exit 130)', async () => {
    const app = await startApp('normal')
    app.child.kill('SIGINT')
    const exit = await app.exited
    expect(exit.signal).toBe('SIGINT')
    expect(events(app)).toContain('closed')
  })

  it('a hook that hangs is cut off after timeoutMs: reported, aborted, and the process still ends', async () => {
    const app = await startApp('hang')
    const sent = Date.now()
    app.child.kill('SIGTERM')
    const exit = await app.exited
    expect(exit.signal).toBe('SIGTERM')
    expect(Date.now() - sent).toBeLessThan(5000)
    expect(app.lines).toContainEqual({ event: 'error', message: 'heapguard: shutdown hooks timed out after 300 ms' })
    expect(app.lines).toContainEqual({ event: 'hook aborted', reason: 'TimeoutError' })
    expect(events(app)).toContain('closed')
  })

  it('with another SIGTERM listener in the app, it exits with code 143 instead of re-raising', async () => {
    const app = await startApp('other-listener')
    app.child.kill('SIGTERM')
    const exit = await app.exited
    expect(exit.code).toBe(143)
    expect(events(app)).toEqual([
      'app listener',
      'hook server',
      'hook db',
      'hook done db',
      'hook from options',
      'closed',
      'exit',
    ])
  })

  it('a second signal during the shutdown exits at once', async () => {
    const app = await startApp('insist')
    app.child.kill('SIGINT')
    await app.waitFor('hook')
    await new Promise((r) => setTimeout(r, 300))
    app.child.kill('SIGINT')
    const exit = await app.exited
    expect(exit.code).toBe(130)
    expect(events(app)).not.toContain('closed')
  })

  it('exit: false leaves the exit to the app: the process ends by itself once the hooks closed everything', async () => {
    const app = await startApp('no-exit')
    app.child.kill('SIGTERM')
    const exit = await app.exited
    expect(exit.code).toBe(0)
    expect(events(app)).toEqual(['hook server', 'hook db', 'hook done db', 'hook from options', 'closed', 'exit'])
  })

  it('a process with tasks, level hooks, signal handlers and a settled withTimeout of a minute exits by itself', async () => {
    const run = startFixture('degrade-exits.mjs')
    const exit = await run.exited
    expect(exit.timedOut, run.stderr()).toBe(false)
    expect(exit.code).toBe(0)
    expect(exit.ms).toBeLessThan(15_000) // the pending timers are 30 s and 60 s, the cleared deadline 60 s
    expect(run.lines).toEqual([{ event: 'done', tasks: 2, level: expect.any(String) }])
  })

  it('the built ESM and CJS copies loaded in one process share one controller and one poll timer', async () => {
    const run = startFixture('degrade-shared.mjs')
    const exit = await run.exited
    expect(exit.code, run.stderr()).toBe(0)
    expect(run.lines).toEqual([
      { event: 'shared', twoCopies: true, same: true, pollTimers: 1, slot: true },
      { event: 'replaced', fresh: true, pollTimers: 2 },
    ])
  })
})

describe('error classes across the built ESM and CJS copies (issue 16)', () => {
  beforeAll(requireBuild)

  it('errors raised by the controller the ESM copy built are instanceof either copy’s classes, with a stable code', async () => {
    const run = startFixture('errors-across-copies.mjs')
    const exit = await run.exited
    expect(exit.code, run.stderr()).toBe(0)
    const line = (name: string) => run.lines.find((l) => l.event === 'error' && l.name === name)
    const codes = {
      ShedError: 'HEAPGUARD_SHED',
      TimeoutError: 'HEAPGUARD_TIMEOUT',
      PageError: 'HEAPGUARD_PAGE',
      TaskError: 'HEAPGUARD_TASK',
      SourceError: 'HEAPGUARD_SOURCE',
    }
    for (const [name, code] of Object.entries(codes)) {
      expect(line(name), name).toEqual({
        event: 'error',
        name,
        built: true,
        cjs: true,
        code,
        isError: true,
        range: name === 'PageError', // still a RangeError
        others: [],
      })
    }
    expect(run.lines.find((l) => l.event === 'subclass')).toEqual({
      event: 'subclass',
      mineIsShed: true,
      mineIsQuota: true,
      shedIsQuota: false,
      plainIsShed: false,
    })
  })
})
