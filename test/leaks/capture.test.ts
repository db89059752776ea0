// Windows in this process, with the real inspector: what a capture returns, and its faults.
// No timing is asserted: windows are short and only their outcome is checked.
import { afterEach, describe, expect, it } from 'vitest'
import { createController, LeakCaptureError, type Controller, type LeakReport } from '../../src/index.js'
import { foreignSampler, samplerRunning } from './sampler.js'

const open: Controller[] = []
afterEach(() => {
  for (const p of open.splice(0)) p.close()
})

function controller(leaks: object = {}) {
  const errors: Error[] = []
  const pressure = createController({
    autoStart: false,
    logger: {},
    // A loaded machine makes forced GCs slow: here no checkpoint is skipped for its pause.
    leaks: { auto: false, intervalBytes: 16 * 1024, maxPauseMs: 60_000, ...leaks },
  })
  pressure.on('error', (e) => errors.push(e))
  open.push(pressure)
  return { pressure, errors }
}

/** Keeps allocating retained objects until stopped: a leak in this process. */
function leakWhile(): () => void {
  const kept: object[] = []
  const timer = setInterval(function keepAllocating() {
    for (let i = 0; i < 400; i++) kept.push({ i, label: `kept ${i} ${kept.length}`, values: [i, i + 1] })
  }, 5)
  return () => {
    clearInterval(timer)
    kept.length = 0
  }
}

describe('pressure.leaks.capture()', () => {
  it('reads its checkpoints, names what grows, and stops the sampler: a second capture starts one again', async () => {
    const { pressure, errors } = controller()
    const stop = leakWhile()
    let report: LeakReport
    try {
      report = await pressure.leaks.capture({ durationMs: 1200, checkpoints: 4 })
    } finally {
      stop()
    }
    expect(samplerRunning()).toBe(false)
    expect(report).toMatchObject({ checkpoints: 4, skipped: 0, trigger: 'capture', intervalBytes: 16 * 1024 })
    expect(report.durationMs).toBeGreaterThan(0)
    expect(report.growth.heap).toBeGreaterThan(0)
    expect(report.grows).toBe('heap')
    expect(report.heapBytes.last).toBeGreaterThan(report.heapBytes.first)
    const ours = report.sites.filter((s) => s.file.endsWith('capture.test.ts'))
    expect(ours.length, String(report)).toBeGreaterThan(0)
    expect(ours[0]!.package).toBeNull()
    expect(report.explained).toBeGreaterThan(0)
    expect(pressure.leaks.last).toBe(report)
    expect(pressure.leaks.running).toBe(false)

    const second = await pressure.leaks.capture({ durationMs: 200, checkpoints: 2 })
    expect(second.checkpoints).toBe(2)
    expect(pressure.leaks.last).toBe(second)
    expect(samplerRunning()).toBe(false)
    expect(pressure.leaks.stats()).toMatchObject({ reports: { capture: 2, rising: 0, warning: 0 }, running: false })
    expect(errors).toEqual([])
  })

  it('gives the report as log lines, as plain data, and its last checkpoint as a DevTools .heapprofile', async () => {
    const { pressure } = controller()
    const stop = leakWhile()
    const report = await pressure.leaks.capture({ durationMs: 900, checkpoints: 3 }).finally(stop)
    const lines = String(report).split('\n')
    expect(lines[0]).toMatch(
      /^heapguard leaks: [\d.]+ s window \(3 checkpoints, capture\): heap [+-][\d.]+ (B|KiB|MiB)\/s, external /,
    )
    expect(lines.filter((l) => /^ {2}#\d+ /.test(l))).toHaveLength(Math.min(10, report.sites.length))
    const data = JSON.parse(JSON.stringify(report))
    expect(Object.keys(data).sort()).toEqual(
      [
        'at',
        'checkpoints',
        'durationMs',
        'explained',
        'growth',
        'grows',
        'heapBytes',
        'intervalBytes',
        'notes',
        'pauseMs',
        'sites',
        'skipped',
        'trigger',
        'watched',
      ].sort(),
    )
    const profile = report.heapProfile()
    expect(profile.head.callFrame.functionName).toBe('(root)')
    expect(profile.samples.length).toBeGreaterThan(0)
    const total = profile.samples.reduce((sum, s) => sum + s.size, 0)
    expect(total).toBeGreaterThan(0)
    // A copy each time: changing it changes nothing in the report.
    profile.samples.length = 0
    expect(report.heapProfile().samples.length).toBeGreaterThan(0)
    expect(Object.isFrozen(report.sites)).toBe(true)
  })

  it('returns the window already open to a capture made while it runs', async () => {
    const { pressure } = controller()
    const first = pressure.leaks.capture({ durationMs: 400, checkpoints: 2 })
    expect(pressure.leaks.running).toBe(true)
    const second = pressure.leaks.capture({ durationMs: 60_000, checkpoints: 10 })
    const [a, b] = await Promise.all([first, second])
    expect(b).toBe(a)
    expect(a.checkpoints).toBe(2)
    expect(pressure.leaks.stats().reports.capture).toBe(1)
  })

  it('close() during a window stops the sampler and settles with what was read', async () => {
    const { pressure, errors } = controller()
    const pending = pressure.leaks.capture({ durationMs: 60_000, checkpoints: 2 })
    // The sampler starts on a later turn; close once it runs.
    while (!samplerRunning()) await new Promise((r) => setTimeout(r, 5))
    pressure.close()
    const report = await pending
    expect(report.checkpoints).toBe(0)
    expect(report.notes.join('\n')).toMatch(/cut short: the controller was closed during the window/)
    expect(samplerRunning()).toBe(false)
    await expect(pressure.leaks.capture()).rejects.toThrow(new LeakCaptureError('closed', 'the controller is closed'))
    await expect(pressure.leaks.capture()).rejects.toMatchObject({ reason: 'closed', code: 'HEAPGUARD_LEAK_CAPTURE' })
    expect(errors).toEqual([])
  })

  it('close() before the sampler started: the promise settles and no sampler is left running', async () => {
    const { pressure } = controller()
    const pending = pressure.leaks.capture({ durationMs: 60_000 })
    pressure.close()
    const report = await pending
    expect(report.checkpoints).toBe(0)
    await new Promise((r) => setTimeout(r, 20))
    expect(samplerRunning()).toBe(false)
  })

  it('refuses, clearly, a sampler someone else started, and never stops it', async () => {
    const { pressure } = controller()
    const stopForeign = foreignSampler()
    try {
      const error = await pressure.leaks.capture({ durationMs: 200 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(LeakCaptureError)
      expect(error).toMatchObject({ reason: 'sampler-in-use', name: 'LeakCaptureError' })
      expect((error as Error).message).toMatch(
        /^heapguard: leaks\.capture\(\): V8's sampling heap profiler is already running, started by someone else/,
      )
      expect(samplerRunning()).toBe(true)
      expect(pressure.leaks.stats().lastError).toBe((error as Error).message)
    } finally {
      stopForeign()
    }
    expect(samplerRunning()).toBe(false)
    // Once it is gone, a capture works.
    const report = await pressure.leaks.capture({ durationMs: 200, checkpoints: 2 })
    expect(report.checkpoints).toBe(2)
    expect(pressure.leaks.stats().lastError).toBeNull()
  })

  it('refuses a second controller while another has a window open (one sampler per process)', async () => {
    const { pressure: a } = controller()
    const { pressure: b } = controller()
    const first = a.leaks.capture({ durationMs: 400, checkpoints: 2 })
    while (!samplerRunning()) await new Promise((r) => setTimeout(r, 5))
    await expect(b.leaks.capture({ durationMs: 200 })).rejects.toMatchObject({ reason: 'other-window' })
    await first
    expect((await b.leaks.capture({ durationMs: 200, checkpoints: 2 })).checkpoints).toBe(2)
  })
})

describe('pressure.leaks.watch()', () => {
  it('reads each watched size at every checkpoint and reports its growth by name', async () => {
    const { pressure, errors } = controller()
    const sessions = new Map<number, object>()
    const timer = setInterval(() => sessions.set(sessions.size, {}), 2)
    pressure.leaks.watch('sessions', () => sessions.size)
    const unwatch = pressure.leaks.watch('gone', () => 1)
    unwatch()
    const report = await pressure.leaks.capture({ durationMs: 600, checkpoints: 3 }).finally(() => clearInterval(timer))
    expect(report.watched).toHaveLength(1)
    const [w] = report.watched
    expect(w!.name).toBe('sessions')
    expect(w!.sizes).toHaveLength(3)
    expect(w!.grew).toBe(true)
    expect(w!.perSecond).toBeGreaterThan(0)
    expect(String(report)).toMatch(/\n {2}watched sessions: \+[\d.]+\/s \(\d+ → \d+\), grew at every checkpoint/)
    expect(errors).toEqual([])
  })

  it('a size function that throws or returns a non-number gives null, reported once', async () => {
    const { pressure, errors } = controller()
    pressure.leaks.watch('broken', () => {
      throw new Error('boom')
    })
    pressure.leaks.watch('text', () => 'many' as never)
    const report = await pressure.leaks.capture({ durationMs: 300, checkpoints: 3 })
    expect(report.watched.map((w) => [w.name, w.sizes, w.grew])).toEqual([
      ['broken', [null, null, null], false],
      ['text', [null, null, null], false],
    ])
    expect(errors.map((e) => e.message)).toEqual([
      'heapguard: leaks.watch("broken"): the size function threw: boom',
      'heapguard: leaks.watch("text"): the size function returned "many" (string), not a finite number',
    ])
  })

  it("watching a name again replaces its function; the first one's stop function no longer removes it", async () => {
    const { pressure } = controller()
    const stopFirst = pressure.leaks.watch('queue', () => 1)
    pressure.leaks.watch('queue', () => 2)
    stopFirst()
    const report = await pressure.leaks.capture({ durationMs: 200, checkpoints: 2 })
    expect(report.watched.map((w) => [w.name, w.sizes])).toEqual([['queue', [2, 2]]])
  })
})
