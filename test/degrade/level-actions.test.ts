import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { drive } from '../support/drive.js'
import { createController, type LevelChange } from '../../src/index.js'
import { requireBuild, startFixture } from '../support/fixture-process.js'

const fake = { name: 'fake', read: () => ({ used: 1, limit: 100 }) }

afterEach(() => {
  vi.restoreAllMocks()
  delete (globalThis as { gc?: unknown }).gc
})

describe('onLevel: hooks on level crossings', () => {
  it("'enter' runs when the level rises to the level or past it, once per crossing", () => {
    const { pressure, feed } = drive({ recoveryMs: 10 })
    const entered: string[] = []
    pressure.onLevel('critical', (c) => entered.push(`${c.from}->${c.to}`))
    feed(0.75, 0) // warning: below critical
    feed(0.9, 1) // critical: entered
    feed(0.97, 2) // emergency: still at or above critical, not entered again
    pressure.force('normal')
    pressure.force('emergency') // skips critical: still entered
    expect(entered).toEqual(['warning->critical', 'normal->emergency'])
    pressure.close()
  })

  it("'leave' runs when the level falls back below it (staged recovery: one level per step)", () => {
    const { pressure, feed } = drive({ recoveryMs: 10 })
    const left: string[] = []
    pressure.onLevel('critical', (c) => left.push(`${c.from}->${c.to}`), { on: 'leave' })
    pressure.onLevel('warning', (c) => left.push(`back to ${c.to}`), { on: 'leave' })
    feed(0.97, 0)
    feed(0.1, 1)
    feed(0.1, 11) // emergency -> critical: not below critical yet
    expect(left).toEqual([])
    feed(0.1, 21) // critical -> warning
    feed(0.1, 31) // warning -> normal
    expect(left).toEqual(['critical->warning', 'back to normal'])
    pressure.close()
  })

  it('passes the LevelChange, runs after flags have switched and before user level listeners', () => {
    const { pressure } = drive()
    const flag = pressure.features.flag('f', { offAt: 'critical' })
    const order: string[] = []
    let got: LevelChange | undefined
    pressure.on('level', () => order.push('listener'))
    pressure.onLevel('critical', (c) => {
      got = c
      order.push(`hook (flag ${flag.enabled ? 'on' : 'off'})`)
    })
    pressure.force('critical')
    expect(order).toEqual(['hook (flag off)', 'listener'])
    expect(got).toMatchObject({ from: 'normal', to: 'critical', forced: true })
    pressure.close()
  })

  it('isolates hooks: throws and rejections are reported, the next hook still runs', async () => {
    const { pressure, errors } = drive()
    const next = vi.fn()
    pressure.onLevel('emergency', () => {
      throw new Error('hook broke')
    })
    pressure.onLevel('emergency', async () => {
      throw new Error('async hook broke')
    })
    pressure.onLevel('emergency', next)
    pressure.force('emergency')
    expect(next).toHaveBeenCalledTimes(1)
    await new Promise((r) => setImmediate(r))
    expect(errors.map((e) => e.message)).toEqual(['hook broke', 'async hook broke'])
    pressure.close()
  })

  it('returns an unsubscribe function; close() drops every hook', () => {
    const { pressure } = drive()
    const a = vi.fn()
    const b = vi.fn()
    const offA = pressure.onLevel('warning', a)
    pressure.onLevel('warning', b)
    offA()
    pressure.force('warning')
    expect(a).not.toHaveBeenCalled()
    expect(b).toHaveBeenCalledTimes(1)
    pressure.close()
  })

  it('rejects bad arguments with messages naming them', () => {
    const { pressure } = drive()
    expect(() => pressure.onLevel('normal' as never, () => {})).toThrow(
      new RangeError(
        "onLevel: argument `level` must be one of 'warning', 'critical', 'emergency', got \"normal\" (string)",
      ),
    )
    expect(() => pressure.onLevel('critical', 'fn' as never)).toThrow(
      new TypeError('onLevel: argument `fn` must be a function, got "fn" (string)'),
    )
    expect(() => pressure.onLevel('critical', () => {}, { on: 'both' as never })).toThrow(
      new RangeError("onLevel: option `on` must be one of 'enter', 'leave', got \"both\" (string)"),
    )
    expect(() => pressure.onLevel('critical', () => {}, { when: 'enter' } as never)).toThrow(
      new TypeError('onLevel: unknown option `when` (known: on)'),
    )
    pressure.close()
  })
})

describe('emergency.gc', () => {
  it('warns once at construction when asked for but global.gc is not exposed', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const a = createController({ autoStart: false, sources: [fake], emergency: { gc: true } })
    const b = createController({ autoStart: false, sources: [fake], emergency: { gc: 'critical' } })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]![0]).toMatch(
      /emergency\.gc` is on but global\.gc\(\) is not exposed; start node with --expose-gc/,
    )
    expect(warn.mock.calls[0]![1]).toMatchObject({ code: 'HEAPGUARD_GC_NOT_EXPOSED' })
    a.force('emergency') // nothing to call: no throw, no error
    a.close()
    b.close()
  })

  it('calls global.gc() on the next turn after entering emergency, once per entry', async () => {
    const gc = vi.fn()
    ;(globalThis as { gc?: unknown }).gc = gc
    const info = vi.fn()
    const pressure = createController({ autoStart: false, sources: [fake], emergency: { gc: true }, logger: { info } })
    pressure.force('critical')
    pressure.force('emergency')
    expect(gc).not.toHaveBeenCalled() // not inside the level change
    await new Promise((r) => setImmediate(r))
    expect(gc).toHaveBeenCalledTimes(1)
    expect(info).toHaveBeenLastCalledWith(
      expect.stringMatching(/^heapguard: emergency gc freed -?\d+\.\d MiB in \d+ ms$/),
    )
    pressure.force('critical')
    pressure.force('emergency')
    await new Promise((r) => setImmediate(r))
    expect(gc).toHaveBeenCalledTimes(2)
    pressure.close()
  })

  it("gc: 'critical' runs it from critical; a gc that throws is reported; close() cancels a pending gc", async () => {
    const gc = vi.fn(() => {
      throw new Error('gc broke')
    })
    ;(globalThis as { gc?: unknown }).gc = gc
    const { pressure, errors } = drive({ emergency: { gc: 'critical' } })
    pressure.force('critical')
    await new Promise((r) => setImmediate(r))
    expect(gc).toHaveBeenCalledTimes(1)
    expect(errors.map((e) => e.message)).toEqual(['gc broke'])
    pressure.force('normal')
    pressure.force('emergency')
    pressure.close()
    await new Promise((r) => setImmediate(r))
    expect(gc).toHaveBeenCalledTimes(1)
  })

  it('is off by default', async () => {
    const gc = vi.fn()
    ;(globalThis as { gc?: unknown }).gc = gc
    const { pressure } = drive()
    pressure.force('emergency')
    await new Promise((r) => setImmediate(r))
    expect(gc).not.toHaveBeenCalled()
    pressure.close()
  })
})

describe('emergency options: validation', () => {
  it.each([
    [
      { gc: 'yes' },
      RangeError,
      "createController: option `emergency.gc` must be one of 'warning', 'critical', 'emergency', got \"yes\" (string)",
    ],
    [
      { gc: 1 },
      TypeError,
      "createController: option `emergency.gc` must be a boolean or one of 'warning', 'critical', 'emergency', got 1 (number)",
    ],
    [
      { heapSnapshots: -1 },
      RangeError,
      'createController: option `emergency.heapSnapshots` must be an integer >= 0 and <= 1000, got -1 (number)',
    ],
    [
      { heapSnapshots: 1.5 },
      RangeError,
      'createController: option `emergency.heapSnapshots` must be an integer >= 0 and <= 1000, got 1.5 (number)',
    ],
    [
      { heapSnapshots: '2' },
      TypeError,
      'createController: option `emergency.heapSnapshots` must be an integer >= 0 and <= 1000, got "2" (string)',
    ],
    [
      { heapSnapshot: 1 },
      TypeError,
      'createController: unknown key in emergency `heapSnapshot` (known: gc, heapSnapshots)',
    ],
    [true, TypeError, 'createController: emergency must be an object, got true (boolean)'],
  ])('rejects emergency %j', (emergency, type, message) => {
    expect(() => createController({ autoStart: false, sources: [fake], emergency: emergency as never })).toThrow(
      new type(message),
    )
  })
})

describe('real processes', () => {
  beforeAll(requireBuild)

  it('with --expose-gc, entering emergency runs a real GC that frees the dropped garbage', async () => {
    const run = startFixture('degrade-emergency-gc.mjs', { nodeArgs: ['--expose-gc'] })
    const exit = await run.exited
    expect(exit.code, run.stderr()).toBe(0)
    const freed = run.lines.find((l) => l.event === 'info' && String(l.message).includes('emergency gc freed'))
    expect(freed, JSON.stringify(run.lines)).toBeDefined()
    const mib = Number(/freed (-?[\d.]+) MiB/.exec(String(freed!.message))![1])
    expect(mib).toBeGreaterThan(10)
    expect(run.lines.filter((l) => l.event === 'warning')).toEqual([])
  })

  it('without --expose-gc, the warning says how to turn it on', async () => {
    const run = startFixture('degrade-emergency-gc.mjs')
    await run.exited
    expect(run.lines.filter((l) => l.event === 'warning' && l.code === 'HEAPGUARD_GC_NOT_EXPOSED')).toHaveLength(1)
    expect(run.lines.some((l) => String(l.message).includes('emergency gc freed'))).toBe(false)
  })

  it('heapSnapshots: a process that still dies of a full heap leaves a heap snapshot behind', async () => {
    const armed = mkdtempSync(join(tmpdir(), 'heapguard-snap-'))
    const control = mkdtempSync(join(tmpdir(), 'heapguard-nosnap-'))
    try {
      const [withSnapshots, without] = await Promise.all([
        startFixture('degrade-heap-snapshot.mjs', {
          args: ['1'],
          nodeArgs: ['--max-old-space-size=24'],
          cwd: armed,
          timeoutMs: 60_000,
        }).exited,
        startFixture('degrade-heap-snapshot.mjs', {
          args: ['0'],
          nodeArgs: ['--max-old-space-size=24'],
          cwd: control,
          timeoutMs: 60_000,
        }).exited,
      ])
      // both die of the heap limit (abort: SIGABRT, or 134 through a shell)
      for (const exit of [withSnapshots, without]) {
        expect(exit.timedOut).toBe(false)
        expect(exit.code === 134 || exit.signal === 'SIGABRT').toBe(true)
      }
      const snapshots = readdirSync(armed).filter((f) => f.endsWith('.heapsnapshot'))
      expect(snapshots).toHaveLength(1)
      expect(statSync(join(armed, snapshots[0]!)).size).toBeGreaterThan(1024 * 1024)
      expect(readdirSync(control)).toEqual([])
    } finally {
      rmSync(armed, { recursive: true, force: true })
      rmSync(control, { recursive: true, force: true })
    }
  }, 90_000)
})
