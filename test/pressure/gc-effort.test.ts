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
  /**
   * Plays mark-compacts `every` ms apart, each collecting for `gcMs` in its pause, as V8 does
   * near the limit, from `from` on; `pauseMs` smaller leaves the rest to concurrent marking.
   */
  const run = (count: number, every: number, gcMs: number, share: number, from = clock.t, pauseMs = gcMs) => {
    for (let i = 1; i <= count; i++) {
      clock.t = from + i * every
      seam.play(markCompact(clock.t, gcMs - pauseMs, pauseMs, share))
    }
  }
  return { pressure, seam, source, clock, warn, changes, errors, run }
}

describe('GC effort: emergency before V8 gives up on ineffective mark-compacts', () => {
  it('the rules sit inside V8’s own (old generation ≥ 80 %, mutator < 40 %)', () => {
    expect(GC_EFFORT_RULES).toEqual([
      { level: 'emergency', share: 0.8, utilization: 0.4 },
      { level: 'critical', share: 0.7, utilization: 0.6 },
    ])
  })

  it('a collector taking 75 % of the time with the old generation 82 % full: critical first, emergency when the next mark-compact still thrashes, the ratio notwithstanding', () => {
    const { pressure, run, warn, changes, source, errors } = started()
    run(1, 200, 150, 0.82) // the first mark-compact starts the clock: no utilization yet
    expect(pressure.level).toBe('normal')
    const reads = source.reads
    run(1, 200, 150, 0.82)
    expect(source.reads).toBe(reads + 1) // sampled at once
    // Cheap actions first: critical, where caches give back.
    expect(pressure.level).toBe('critical')
    expect(pressure.ratio).toBe(0.3)
    expect(pressure.floors()).toEqual([
      {
        from: 'gc',
        signal: 'gc',
        level: 'critical',
        reason: 'garbage collection takes 75 % of the time with the old generation 82 % full',
        at: 400,
        until: 5400,
      },
    ])
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /^heapguard: gc: garbage collection takes 75 %.*stays at critical or above/,
    )
    // The next mark-compact began after critical had its effect, and the collector still
    // thrashes by V8's own rule.
    run(1, 200, 150, 0.82)
    expect(pressure.level).toBe('emergency')
    expect(changes.map((c) => [c.to, c.cause.kind])).toEqual([
      ['critical', 'floor'],
      ['emergency', 'floor'],
    ])
    expect(changes[1]!.reason).toBe(
      'gc: garbage collection takes 75 % (its pauses 75 %) of the time with the old generation 82 % full, after the caches gave back at critical',
    )
    expect(pressure.floors()[0]).toMatchObject({ level: 'emergency', at: 600, until: 5600 })
    expect(warn).toHaveBeenCalledTimes(2)
    // Refreshed by every further thrashing mark-compact, said once.
    run(3, 200, 150, 0.83)
    expect(warn).toHaveBeenCalledTimes(2)
    expect(pressure.floors()[0]).toMatchObject({ level: 'emergency', at: 1200, until: 6200 })
    expect(errors).toEqual([])
    pressure.close()
  })

  it('a server that trimming saves (the high tide as measured): rows of at most two full mark-compacts, critical, never emergency', () => {
    // bench/high-tide.bench.mjs, traced: mark-compacts 20 ms apart with the old generation at
    // 78 % (under V8's 80 %), then two at 88 % while a 12 MiB export is held, then 78 % again;
    // counted from the start of marking the collector takes 75–90 % of the time (V8 said 0.64).
    const { pressure, run, changes } = started()
    for (let cycle = 0; cycle < 4; cycle++) {
      run(5, 20, 15, 0.78, undefined, 2)
      run(2, 40, 35, 0.88, undefined, 10)
    }
    run(3, 20, 15, 0.78, undefined, 2)
    expect(pressure.level).toBe('critical')
    expect(changes.map((c) => c.to)).toEqual(['critical'])
    pressure.close()
  })

  it('marking the entries cannot show (pauses 20 %, the rest marking): emergency at the third mark-compact in a row V8 may count, one before it can give up', () => {
    // small-bursty under 96 MiB, traced: V8 gave up on ineffective mark-compacts with the pauses
    // at 10–50 % of the time; the rows it counted ran 3 to 30 long in our count.
    const { pressure, run, changes } = started()
    run(1, 200, 150, 0.8, undefined, 40) // starts the clock
    run(1, 200, 150, 0.82, undefined, 40) // first in a row: critical
    expect(pressure.level).toBe('critical')
    run(1, 200, 150, 0.84, undefined, 40) // second: neither certain nor busy
    expect(pressure.level).toBe('critical')
    run(1, 200, 150, 0.86, undefined, 40)
    expect(pressure.level).toBe('emergency')
    expect(changes.at(-1)!.reason).toBe(
      'gc: garbage collection takes 75 % (its pauses 20 %) of the time with the old generation 86 % full, 3 mark-compacts in a row',
    )
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
    // 150 of 200 ms: utilization 0.25 (critical first: the level was normal).
    expect(pressure.level).toBe('critical')
    pressure.close()
  })

  it('holds for recoveryMs, then recovers by the staged rules', () => {
    const { pressure, run, clock, changes } = started({ recoveryMs: 1000 })
    run(3, 200, 150, 0.82)
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
    expect(changes.map((c) => c.to)).toEqual(['critical', 'emergency', 'critical', 'warning', 'normal'])
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
    expect(pressure.level).toBe('critical')
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

describe('GC effort: cheap actions before emergency', () => {
  it('effort that falls once the caches have given back stays at critical', () => {
    const { pressure, run, changes } = started()
    const cache = pressure.caches.lru<number, string>('values', { max: 10_000 })
    for (let i = 0; i < 1000; i++) cache.set(i, `value ${i}`)
    run(2, 200, 150, 0.82) // thrashing: critical, and the cache gives back half
    expect(pressure.level).toBe('critical')
    expect(cache.size).toBe(500)
    // The next mark-compact collects what the cache gave back: the old generation is roomier,
    // the collector still busy (utilization stays low for a while as V8 averages it).
    run(1, 200, 150, 0.6)
    run(1, 200, 150, 0.62)
    expect(pressure.level).toBe('critical')
    expect(changes.map((c) => c.to)).toEqual(['critical'])
    pressure.close()
  })

  it('effort that persists reaches emergency at the second thrashing mark-compact (V8 gives up at its fourth at the earliest)', () => {
    const { pressure, run, changes } = started()
    run(1, 200, 150, 0.8) // starts the clock
    run(1, 200, 150, 0.8) // first measured: critical
    expect(pressure.level).toBe('critical')
    run(1, 200, 150, 0.8) // second: emergency
    expect(pressure.level).toBe('emergency')
    expect(changes.map((c) => c.to)).toEqual(['critical', 'emergency'])
    pressure.close()
  })

  it('when the ratio has already brought critical (caches given back), the first mark-compact V8 counts as ineffective brings emergency', () => {
    const { pressure, run, source, changes } = started()
    source.ratio = 0.9
    pressure.sample()
    expect(pressure.level).toBe('critical')
    run(1, 200, 150, 0.8) // starts the clock
    expect(pressure.level).toBe('critical')
    run(1, 200, 150, 0.8)
    expect(pressure.level).toBe('emergency')
    expect(changes.map((c) => [c.to, c.cause.kind])).toEqual([
      ['critical', 'ratio'],
      ['emergency', 'floor'],
    ])
    pressure.close()
  })

  it('waits while the caches are still trimming in slices: one then says critical; two in a row are emergency whatever the level', () => {
    const { pressure, run } = started()
    const cache = pressure.caches.lru<number, number>('big', { max: 100_000 })
    for (let i = 0; i < 20_000; i++) cache.set(i, i)
    run(1, 200, 150, 0.8) // starts the clock
    run(1, 200, 110, 0.8) // utilization 0.45: critical; the cache must give back 10,000 entries, 4,096 at once
    expect(pressure.level).toBe('critical')
    expect(cache.size).toBeGreaterThan(10_000) // the rest waits for slices (fake timers hold them)
    run(1, 200, 190, 0.8) // V8 counts this one: the caches have not had their effect yet
    expect(pressure.level).toBe('critical')
    run(1, 200, 190, 0.8)
    expect(pressure.level).toBe('emergency') // two in a row: two before V8 can abort, whatever the caches are doing
    pressure.close()
  })

  it('after the caches finished trimming, a sample arms it: the next mark-compact V8 counts brings emergency', () => {
    const { pressure, run, clock } = started()
    const cache = pressure.caches.lru<number, number>('big', { max: 100_000 })
    for (let i = 0; i < 20_000; i++) cache.set(i, i)
    run(1, 200, 150, 0.8)
    run(1, 200, 110, 0.8) // critical, not V8's rule
    for (let i = 0; i < 100 && cache.size > 10_000; i++) vi.advanceTimersToNextTimer() // the slices run
    expect(cache.size).toBe(10_000)
    clock.t += 10
    pressure.sample() // a sample sees the trims done
    run(1, 200, 150, 0.8)
    expect(pressure.level).toBe('emergency')
    pressure.close()
  })

  it('a heap the cheap actions keep under 80 % never reaches emergency from effort, however hard the collector works', () => {
    // The high tide's case: exports and a halved cache keep the old generation at 76–77 %, the
    // collector at 44–56 % of the time; V8 does not count these, and neither does heapguard.
    const { pressure, run, changes } = started()
    run(20, 200, 110, 0.77)
    expect(pressure.level).toBe('critical')
    expect(changes.map((c) => c.to)).toEqual(['critical'])
    pressure.close()
  })
})
