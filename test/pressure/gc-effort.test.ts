// GC effort: fake GC notifications (entries on their own timeline, the old generation's size)
// through the GC seam, the controller's clock injected; no real GC, no real time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createController, GC_EFFORT_RULES, type GcInfo, type LevelChange } from '../../src/index.js'
import { gcSeam } from '../support/drive.js'
import { MiB, scriptedSource } from '../support/sources.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const LIMIT = 64 * MiB

/**
 * A mark-compact ending at `end` (entry timeline, ms): incremental marking began `markMs`
 * before its pause of `pauseMs`, and it left the old generation `share` full.
 */
function markCompact(end: number, markMs: number, pauseMs: number, share: number): GcInfo {
  return {
    major: true,
    entries: [
      { kind: 'incremental', start: end - pauseMs - markMs, duration: 0.1 },
      { kind: 'minor', start: end - pauseMs - markMs / 2, duration: 2 },
      { kind: 'major', start: end - pauseMs, duration: pauseMs },
    ],
    oldGeneration: { used: share * LIMIT, limit: LIMIT },
  }
}

/** A started controller whose only samples come from the seam (the poll is 60 s), on a calm source. */
function started(options: { gcCoalesceMs?: number; recoveryMs?: number } = {}) {
  const clock = { t: 0 }
  const seam = gcSeam()
  const source = scriptedSource('heap', 0.3)
  const warn = vi.fn()
  const pressure = createController({
    sources: [source],
    now: () => clock.t,
    subscribeGc: seam.subscribeGc,
    intervalMs: 60_000,
    fastIntervalMs: 60_000,
    gcCoalesceMs: 0,
    logger: { warn, error: vi.fn() },
    ...options,
  })
  const changes: LevelChange[] = []
  const errors: Error[] = []
  pressure.on('level', (c) => changes.push(c))
  pressure.on('error', (e) => errors.push(e))
  /** Plays mark-compacts `every` ms apart, each collecting for `gcMs` (marking + pause), from `from` on. */
  const run = (count: number, every: number, gcMs: number, share: number, from = clock.t) => {
    for (let i = 1; i <= count; i++) {
      clock.t = from + i * every
      seam.play(markCompact(clock.t, gcMs - 5, 5, share))
    }
  }
  return { pressure, seam, source, clock, warn, changes, errors, run }
}

describe('GC effort: emergency before V8 gives up on ineffective mark-compacts', () => {
  it('the rules sit inside V8’s own (old generation ≥ 80 %, mutator < 40 %)', () => {
    expect(GC_EFFORT_RULES).toEqual([
      { level: 'emergency', share: 0.75, utilization: 0.5 },
      { level: 'critical', share: 0.7, utilization: 0.6 },
    ])
  })

  it('a collector taking 75 % of the time with the old generation 78 % full: emergency at once, the ratio notwithstanding', () => {
    const { pressure, run, warn, changes, source, errors } = started()
    run(1, 200, 150, 0.78) // the first mark-compact starts the clock: no utilization yet
    expect(pressure.level).toBe('normal')
    const reads = source.reads
    run(1, 200, 150, 0.78)
    expect(source.reads).toBe(reads + 1) // sampled at once
    expect(pressure.level).toBe('emergency')
    expect(pressure.ratio).toBe(0.3)
    expect(changes.map((c) => c.to)).toEqual(['emergency'])
    expect(pressure.floors()).toEqual([
      {
        from: 'gc',
        signal: 'gc',
        level: 'emergency',
        reason: 'garbage collection takes 75 % of the time with the old generation 78 % full',
        at: 400,
        until: 5400,
      },
    ])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/gc gc: garbage collection takes 75 %.*stays at emergency or above/)
    // Refreshed by every further thrashing mark-compact, said once.
    run(3, 200, 150, 0.79)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(pressure.floors()[0]).toMatchObject({ at: 1000, until: 6000 })
    expect(errors).toEqual([])
    pressure.close()
  })

  it('a collector that keeps up changes nothing, however full the old generation', () => {
    const { pressure, run, warn } = started()
    run(20, 1000, 60, 0.92) // 6 % of the time collecting
    expect(pressure.level).toBe('normal')
    expect(pressure.floors()).toEqual([])
    expect(warn).not.toHaveBeenCalled()
    pressure.close()
  })

  it('a collector that works hard on a roomy old generation changes nothing either', () => {
    const { pressure, run } = started()
    run(20, 200, 180, 0.5)
    expect(pressure.level).toBe('normal')
    pressure.close()
  })

  it('critical from 70 % full with the mutator under 60 %', () => {
    const { pressure, run } = started()
    run(2, 200, 90, 0.72) // utilization 0.55
    expect(pressure.level).toBe('critical')
    expect(pressure.floors()).toMatchObject([{ level: 'critical', from: 'gc' }])
    pressure.close()
  })

  it('averages as V8 does (newest weighs 1/2): one long collection after calm ones is not thrashing', () => {
    const { pressure, run } = started()
    run(6, 1000, 50, 0.8) // utilization 0.95
    run(1, 200, 160, 0.8) // this one alone: 0.2; averaged: mutator (950 + 40) / 2 of (1000 + 200) / 2 → 0.83
    expect(pressure.level).toBe('normal')
    run(1, 200, 160, 0.8) // it goes on, the average follows: 0.67
    expect(pressure.level).toBe('normal')
    run(1, 200, 160, 0.8) // 0.51
    expect(pressure.level).toBe('critical')
    run(1, 200, 160, 0.8) // 0.39: where V8 counts its first ineffective mark-compact of the four it needs
    expect(pressure.level).toBe('emergency')
    pressure.close()
  })

  it('counts marking that began in an earlier notification, up to the pause', () => {
    const { pressure, seam, clock } = started()
    const L = LIMIT
    seam.play(markCompact(1000, 10, 5, 0.8))
    clock.t = 1050
    // Incremental marking starts (its own notification), the mark-compact ends 150 ms later.
    seam.play({ major: false, entries: [{ kind: 'incremental', start: 1050, duration: 0.2 }] })
    clock.t = 1200
    seam.play({
      major: true,
      entries: [{ kind: 'major', start: 1195, duration: 5 }],
      oldGeneration: { used: 0.8 * L, limit: L },
    })
    // 150 of 200 ms: utilization 0.25.
    expect(pressure.level).toBe('emergency')
    pressure.close()
  })

  it('holds for recoveryMs, then recovers by the staged rules', () => {
    const { pressure, run, clock, changes } = started({ recoveryMs: 1000 })
    run(2, 200, 150, 0.78)
    expect(pressure.level).toBe('emergency')
    const raisedAt = clock.t
    const at = (t: number) => {
      clock.t = raisedAt + t
      pressure.sample()
      return pressure.level
    }
    expect(at(999)).toBe('emergency') // held
    expect(at(1000)).toBe('emergency') // the last moment it holds
    expect(at(1001)).toBe('emergency') // lapsed: the dwell below the exit line starts now
    expect(pressure.floors()).toEqual([])
    expect(at(2000)).toBe('emergency')
    expect(at(2001)).toBe('critical')
    expect(at(3001)).toBe('warning')
    expect(at(4001)).toBe('normal')
    expect(changes.map((c) => c.to)).toEqual(['emergency', 'critical', 'warning', 'normal'])
    pressure.close()
  })

  it('samples at once when it raises a floor, even inside the coalescing window', () => {
    const { pressure, run, source, clock, seam } = started({ gcCoalesceMs: 50 })
    run(1, 200, 150, 0.78)
    const reads = source.reads
    clock.t += 1
    seam.play({ major: false, entries: [{ kind: 'minor', start: clock.t - 1, duration: 1 }] }) // coalesced
    expect(source.reads).toBe(reads)
    run(1, 200, 190, 0.78)
    expect(source.reads).toBe(reads + 1)
    expect(pressure.level).toBe('emergency')
    pressure.close()
  })

  it('without entries or the old generation (another runtime’s seam), or with garbage, it measures nothing and never throws', () => {
    const { pressure, seam, clock, errors } = started()
    const garbage: GcInfo[] = [
      { major: true },
      { major: true, entries: [] },
      { major: true, entries: [{ kind: 'major', start: NaN, duration: 5 }] },
      { major: true, entries: [{ kind: 'major', start: 10, duration: -1 }] },
      { major: true, entries: [{ kind: 'major', start: 20, duration: 5 }] }, // no oldGeneration
      { major: true, entries: [{ kind: 'major', start: 30, duration: 5 }], oldGeneration: { used: NaN, limit: LIMIT } },
      { major: true, entries: [{ kind: 'major', start: 40, duration: 5 }], oldGeneration: { used: LIMIT, limit: 0 } },
      null as unknown as GcInfo,
    ]
    for (const info of garbage) {
      clock.t += 10
      seam.play(info)
    }
    expect(pressure.level).toBe('normal')
    expect(errors).toEqual([])
    pressure.close()
  })
})
