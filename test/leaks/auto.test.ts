// Automatic windows: opened from the trend (played through the GC seam, with an injected clock
// and a scripted heap source), their event, their faults, and the leak that stays held.
// The windows themselves run on real timers with the real inspector; nothing asserts timing.
import { afterEach, describe, expect, it } from 'vitest'
import { createController, type Controller, type ControllerOptions, type LeakReport } from '../../src/index.js'
import { gcSeam } from '../support/drive.js'
import { MiB } from '../support/sources.js'
import { foreignSampler, samplerRunning } from './sampler.js'

const open: Controller[] = []
afterEach(() => {
  for (const p of open.splice(0)) p.close()
})

/**
 * A controller whose major GCs the test plays: each `floor(at, used)` is a major GC at `at` that
 * leaves `used` bytes. The heap source reads `heap.used`; `heap.growPerRead` makes every read of
 * it (each checkpoint's too) grow, as a leaking heap does.
 */
function played(options: ControllerOptions = {}) {
  const clock = { t: 0 }
  const heap = { used: 100 * MiB, growPerRead: 0 }
  const seam = gcSeam()
  const errors: Error[] = []
  const warnings: string[] = []
  const infos: string[] = []
  const pressure = createController({
    sources: [
      {
        name: 'heap',
        read: () => {
          heap.used += heap.growPerRead
          return { used: heap.used, limit: 1000 * MiB }
        },
      },
    ],
    now: () => clock.t,
    intervalMs: 60_000,
    fastIntervalMs: 60_000,
    gcCoalesceMs: 0,
    subscribeGc: seam.subscribeGc,
    logger: { warn: (m: unknown) => warnings.push(String(m)), info: (m: unknown) => infos.push(String(m)) },
    ...options,
    leaks: { intervalBytes: 1024, durationMs: 200, maxPauseMs: 60_000, ...options.leaks },
  })
  pressure.on('error', (e) => errors.push(e))
  open.push(pressure)
  const floor = (at: number, used: number) => {
    clock.t = at
    heap.used = used
    seam.gc(true)
  }
  /** Major GCs every 10 s from `from` to `to` (ms), the floor rising 1 MiB each time (≈ 100 KiB/s). */
  const rise = (from: number, to: number, start = 100 * MiB) => {
    for (let at = from; at <= to; at += 10_000) floor(at, start + ((at - from) / 10_000) * MiB)
  }
  return { pressure, clock, heap, seam, errors, warnings, infos, floor, rise }
}

describe('automatic windows', () => {
  it('open once the post-GC floor has kept rising for two minutes, and only then', async () => {
    const { pressure, rise, infos } = played()
    rise(0, 120_000)
    expect(pressure.leaks.running).toBe(false)
    rise(130_000, 160_000, 113 * MiB)
    expect(pressure.leaks.running).toBe(true)
    expect(infos.join('\n')).toMatch(
      /heapguard: leaks: the post-GC heap floor keeps rising \([\d.]+ KiB\/s\): a \d+ s window is open/,
    )
    const report = await pressure.leaks.capture() // the window already open
    expect(report.trigger).toBe('rising')
    expect(pressure.leaks.stats().reports).toEqual({ capture: 0, rising: 1, warning: 0 })
    expect(samplerRunning()).toBe(false)
  })

  it('open at once when the level reaches warning while the floor rises', async () => {
    const { pressure, rise, floor } = played({ thresholds: { warning: 0.2 } })
    rise(0, 30_000)
    expect(pressure.leaks.running).toBe(false)
    floor(40_000, 250 * MiB) // 25 % of the limit: warning, the floor still rising
    expect(pressure.level).toBe('warning')
    expect(pressure.leaks.running).toBe(true)
    expect((await pressure.leaks.capture()).trigger).toBe('warning')
  })

  it('open at most once per cooldownMs', async () => {
    const { pressure, rise } = played({ leaks: { cooldownMs: 600_000 } })
    rise(0, 200_000)
    expect(pressure.leaks.running).toBe(true)
    await pressure.leaks.capture()
    rise(210_000, 700_000, 121 * MiB)
    expect(pressure.leaks.running).toBe(false)
    rise(710_000, 900_000, 170 * MiB)
    expect(pressure.leaks.running).toBe(true)
    await pressure.leaks.capture()
    expect(pressure.leaks.stats().reports.rising).toBe(2)
  })

  it('never open with auto: false, and nothing runs while the floor is flat', () => {
    const off = played({ leaks: { auto: false } })
    off.rise(0, 600_000)
    expect(off.pressure.leaks.running).toBe(false)
    const flat = played()
    for (let at = 0; at <= 600_000; at += 10_000) flat.floor(at, 100 * MiB)
    expect(flat.pressure.leaks.running).toBe(false)
    expect(flat.pressure.leaks.stats().reports).toEqual({ capture: 0, rising: 0, warning: 0 })
  })

  it("emit 'leak' when the window found growth outside the managed caches; a listener that throws is reported", async () => {
    const { pressure, rise, heap, errors } = played()
    const seen: LeakReport[] = []
    pressure.on('leak', (r) => seen.push(r))
    pressure.on('leak', () => {
      throw new Error('listener failed')
    })
    heap.growPerRead = 256 * 1024
    rise(0, 160_000)
    const report = await pressure.leaks.capture()
    await new Promise((r) => setTimeout(r, 0)) // the event follows the report
    expect(report.grows).toBe('heap')
    expect(seen).toEqual([report])
    expect(errors.map((e) => e.message)).toEqual(['listener failed'])
    expect(pressure.leaks.stats().found).toBe(1)
  })

  it("log the report when nobody listens to 'leak'", async () => {
    const { pressure, rise, heap, warnings } = played()
    heap.growPerRead = 256 * 1024
    rise(0, 160_000)
    const report = await pressure.leaks.capture()
    await new Promise((r) => setTimeout(r, 0))
    expect(warnings).toContain(String(report))
  })

  it('stop trying, after reporting once, when a sampler someone else started is in the way; capture() still can later', async () => {
    const { pressure, rise, errors } = played({ leaks: { cooldownMs: 0 } })
    const stopForeign = foreignSampler()
    try {
      rise(0, 160_000)
      await pressure.leaks.capture().catch(() => undefined)
      await new Promise((r) => setTimeout(r, 20))
      rise(170_000, 400_000, 117 * MiB)
      await new Promise((r) => setTimeout(r, 20))
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringMatching(
          /^heapguard: leaks\.capture\(\): V8's sampling heap profiler is already running, started by someone else .*\. Automatic leak windows stop trying; capture\(\) works again once that sampler is stopped$/,
        ),
      ])
      expect(pressure.leaks.stats().autoStopped).toMatch(/already running/)
      expect(pressure.leaks.running).toBe(false)
      expect(samplerRunning()).toBe(true)
    } finally {
      stopForeign()
    }
  })

  it('skip a checkpoint whose forced GC is predicted to pause longer than maxPauseMs, and say so', async () => {
    const { pressure, seam } = played({ leaks: { auto: false, maxPauseMs: 50 } })
    // The controller saw whole (non-incremental) mark-compacts of 120 ms on its 100 MiB: the full
    // GCs it knows of, the live check's and the checkpoints' included, predict 120 ms for a checkpoint.
    const oldGeneration = { used: 100 * MiB, limit: 1000 * MiB }
    seam.play({ major: true, entries: [{ kind: 'major', start: 0, duration: 120 }], oldGeneration })
    seam.play({ major: true, entries: [{ kind: 'major', start: 5000, duration: 120 }], oldGeneration })
    const report = await pressure.leaks.capture({ durationMs: 300, checkpoints: 3 })
    expect(report).toMatchObject({ checkpoints: 0, skipped: 3, sites: [] })
    expect(report.notes).toContain(
      'checkpoint 1 skipped: its full GC was expected to pause about 120 ms (maxPauseMs 50)',
    )
    expect(String(report)).toMatch(/\(0 checkpoints, 3 skipped, capture\)/)
    expect(pressure.leaks.stats().skipped).toBe(3)
  })
})

describe('a leak that is still held (pressure.leaks.suspect)', () => {
  it('holds after a window found growth, also once the floor stops rising, and ends when the heap comes back', async () => {
    const { pressure, rise, floor, heap } = played()
    expect(pressure.leaks.suspect).toBeNull()
    heap.growPerRead = 256 * 1024
    rise(0, 160_000)
    const report = await pressure.leaks.capture()
    heap.growPerRead = 0
    const from = report.heapBytes.first
    // Shedding stopped the growth: the floor is flat, high, and the trend reads "not rising".
    for (let at = 170_000; at <= 800_000; at += 10_000) floor(at, from + 80 * MiB)
    expect(pressure.trend().msToLimit).toBeNull()
    expect(pressure.leaks.suspect).toMatchObject({
      since: report.at,
      fromBytes: from,
      floorBytes: from + 80 * MiB,
      heldBytes: 80 * MiB,
      rising: false,
      report,
    })
    // Memory given back: the leak is no longer held.
    for (let at = 810_000; at <= 900_000; at += 10_000) floor(at, from)
    expect(pressure.leaks.suspect).toBeNull()
  })
})
