import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, ShedError, type Controller, type ShedRefusal } from '../../../src/index.js'
import { ledger } from '../../support/drive.js'
import { bytesSource, LIMIT, MiB } from '../../support/sources.js'

const opened: Controller[] = []
function open(...args: Parameters<typeof ledger>) {
  const l = ledger(...args)
  opened.push(l.pressure)
  return l
}
afterEach(() => {
  for (const p of opened.splice(0)) p.close()
})

/** What `reserve()` threw. */
function refusalOf(fn: () => unknown): ShedError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ShedError) return error
    throw error
  }
  throw new Error('expected a ShedError, nothing was thrown')
}

describe('pressure.reserve: granting', () => {
  it('grants what fits, counts it at once, and releases it exactly once', () => {
    const { pressure } = open({}, 40 * MiB)
    expect(pressure.reserved).toBe(0)
    const job = pressure.reserve(20 * MiB, { priority: 'low' })
    expect(job).toMatchObject({ bytes: 20 * MiB, priority: 'low', source: 'heap', state: 'held', grantedAt: 0 })
    expect(job.counted).toBe(20 * MiB)
    expect(pressure.reserved).toBe(20 * MiB)
    expect(pressure.ratio).toBeCloseTo(0.6)
    const { release } = job // bound: res.on('close', job.release) works
    release()
    release()
    job.release()
    expect(job.state).toBe('released')
    expect(job.counted).toBe(0)
    expect(pressure.reserved).toBe(0)
    expect(pressure.reservations.stats()).toMatchObject({ active: 0, granted: { low: 1, normal: 0 } })
  })

  it('releases at the end of a `using` scope', () => {
    const { pressure } = open({}, 10 * MiB)
    {
      using job = pressure.reserve(5 * MiB)
      expect(job.state).toBe('held')
      expect(pressure.reserved).toBe(5 * MiB)
    }
    expect(pressure.reserved).toBe(0)
  })

  it('defaults to priority normal and grants 0 bytes while the source is below the line', () => {
    const { pressure } = open({}, 90 * MiB)
    expect(pressure.reserve(0).priority).toBe('normal')
    expect(() => pressure.reserve(0, { priority: 'low' })).toThrow(ShedError)
  })

  it('counts every live reservation in the samples that follow, on the source it counts against', () => {
    const { pressure, sample } = open({}, 30 * MiB)
    pressure.reserve(10 * MiB)
    pressure.reserve(5 * MiB)
    const s = sample()
    expect(s.sources.heap).toEqual({ used: 30 * MiB, limit: LIMIT, ratio: 0.45, reserved: 15 * MiB, reclaimed: 0 })
    expect(s.ratio).toBe(0.45)
    expect(pressure.reservations.list().map((r) => r.bytes)).toEqual([10 * MiB, 5 * MiB])
  })

  it('leaves the readings of a controller that never reserved untouched', () => {
    const { sample } = open({}, 30 * MiB)
    expect(sample().sources.heap).toEqual({ used: 30 * MiB, limit: LIMIT, ratio: 0.3 })
  })
})

describe('pressure.reserve: the line of each priority', () => {
  it('defaults: low 0.85, normal and high 0.95, critical 1.0', () => {
    const { pressure } = open()
    expect(pressure.reservations.lines).toEqual({ critical: 1, high: 0.95, normal: 0.95, low: 0.85 })
  })

  it('refuses at the line and grants just below it, per priority', () => {
    const { pressure } = open({}, 60 * MiB)
    expect(() => pressure.reserve(25 * MiB, { priority: 'low' })).toThrow(ShedError)
    pressure.reserve(25 * MiB - 1, { priority: 'low' }).release()
    expect(() => pressure.reserve(35 * MiB, { priority: 'normal' })).toThrow(ShedError)
    expect(() => pressure.reserve(35 * MiB, { priority: 'high' })).toThrow(ShedError)
    pressure.reserve(35 * MiB - 1, { priority: 'high' }).release()
    expect(() => pressure.reserve(40 * MiB, { priority: 'critical' })).toThrow(ShedError)
    pressure.reserve(40 * MiB - 1, { priority: 'critical' }).release()
  })

  it('follows custom thresholds', () => {
    const { pressure } = open({ thresholds: { warning: 0.5, critical: 0.6, emergency: 0.8 } })
    expect(pressure.reservations.lines).toEqual({ critical: 1, high: 0.8, normal: 0.8, low: 0.6 })
  })

  it('follows a custom admission table: the threshold of the lowest level that refuses the priority', () => {
    const { pressure } = open({
      shed: { admission: { warning: 'normal', critical: 'high', emergency: ['critical'] } },
    })
    expect(pressure.reservations.lines).toEqual({ critical: 1, high: 0.95, normal: 0.85, low: 0.7 })
    const never = open({ shed: { admission: { normal: 'normal', warning: 'normal' } } }).pressure
    expect(never.reservations.lines.low).toBe(0)
    expect(() => never.reserve(0, { priority: 'low' })).toThrow(ShedError)
  })
})

describe('pressure.reserve: refusals', () => {
  it('throws a ShedError with reason memory, counted with every other refusal', () => {
    const { pressure } = open({ shed: { retryAfter: 7 } }, 80 * MiB)
    const events: ShedRefusal[] = []
    pressure.shed.on('refused', (r) => events.push(r))
    const error = refusalOf(() => pressure.reserve(10 * MiB, { priority: 'low' }))
    expect(error).toMatchObject({
      name: 'ShedError',
      code: 'HEAPGUARD_SHED',
      reason: 'memory',
      priority: 'low',
      level: 'warning',
      retryAfter: 7,
    })
    expect(error.message).toBe("heapguard: 'low' work shed at level 'warning': the memory it reserves does not fit")
    expect(events).toEqual([{ priority: 'low', level: 'warning', reason: 'memory', retryAfter: 7 }])
    const shed = pressure.shed.stats()
    expect(shed.refused.low).toBe(1)
    expect(shed.refusedByReason.memory).toBe(1)
    expect(pressure.reservations.stats().refused).toEqual({ critical: 0, high: 0, normal: 0, low: 1 })
    expect(pressure.reserved).toBe(0)
  })

  it('counts what live reservations hold against the next one', () => {
    const { pressure } = open({}, 40 * MiB)
    pressure.reserve(30 * MiB, { priority: 'low' })
    expect(() => pressure.reserve(15 * MiB, { priority: 'low' })).toThrow(ShedError)
    pressure.reserve(15 * MiB, { priority: 'normal' })
  })
})

describe('pressure.reserve: the level follows at grant', () => {
  it('raises the level at once, so caches give memory back before the work allocates', () => {
    const { pressure, changes } = open({}, 60 * MiB)
    const cache = pressure.caches.lru<string, string>('rows', { max: 100 })
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, 'v')
    pressure.reserve(15 * MiB)
    expect(pressure.level).toBe('warning')
    expect(changes).toEqual([
      {
        from: 'normal',
        to: 'warning',
        at: 0,
        ratio: 0.75,
        forced: false,
        reason: 'heap 0.750 reached warning (0.7)',
        cause: { kind: 'ratio', source: 'heap', ratio: 0.75, threshold: 0.7 },
      },
    ])
    expect(cache.capacity).toBe(75)
    expect(cache.size).toBe(75)
    pressure.reserve(10 * MiB)
    expect(pressure.level).toBe('critical')
    expect(cache.size).toBe(50)
  })

  it('counts at once when granted from a sample listener', () => {
    const { pressure, sample, changes } = open({}, 30 * MiB)
    let inside = ''
    pressure.once('sample', () => {
      pressure.reserve(45 * MiB)
      inside = pressure.level
    })
    sample()
    expect(inside).toBe('warning')
    expect(changes.map((c) => c.to)).toEqual(['warning'])
  })

  it('counts at once when granted from a level listener: its change is delivered after the current one', () => {
    const { pressure, sample, changes } = open({}, 0)
    let inside = ''
    pressure.once('level', () => {
      pressure.reserve(20 * MiB, { priority: 'critical' })
      inside = pressure.level
    })
    sample(75 * MiB)
    expect(inside).toBe('emergency')
    expect(changes.map((c) => [c.from, c.to])).toEqual([
      ['normal', 'warning'],
      ['warning', 'emergency'],
    ])
  })

  it('counts at once when granted from a flag listener, inside the level change', () => {
    const { pressure, sample } = open({}, 0)
    let inside = ''
    pressure.features.flag('search', { offAt: 'critical' }).on('change', ({ enabled }) => {
      if (enabled) return
      pressure.reserve(10 * MiB, { priority: 'critical' })
      inside = pressure.level
    })
    sample(88 * MiB)
    expect(inside).toBe('emergency')
    expect(pressure.level).toBe('emergency')
    expect(pressure.reserved).toBe(10 * MiB)
  })

  it('reads the source afresh at the grant, and polls fast once a reservation brings the ratio near warning', () => {
    vi.useFakeTimers()
    try {
      const heap = bytesSource('heap', 10 * MiB)
      const pressure = createController({ sources: [heap], intervalMs: 60_000, sampleOnGc: false, logger: {} })
      opened.push(pressure)
      let samples = 0
      pressure.on('sample', () => samples++)
      const before = heap.reads
      pressure.reserve(60 * MiB)
      expect(heap.reads).toBe(before + 1)
      expect(pressure.ratio).toBeCloseTo(0.7)
      vi.advanceTimersByTime(30)
      expect(samples).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('pressure.reserve: sources', () => {
  it('counts against the source named heap, else the first; `source` and reservations.source pick another', () => {
    const heap = bytesSource('heap', 10 * MiB)
    const rss = bytesSource('rss', 50 * MiB, 200 * MiB)
    const pressure = createController({ sources: [rss, heap], autoStart: false, logger: {} })
    opened.push(pressure)
    expect(pressure.reserve(MiB).source).toBe('heap')
    expect(pressure.reserve(MiB, { source: 'rss' }).source).toBe('rss')
    const first = createController({ sources: [rss], autoStart: false, logger: {} })
    opened.push(first)
    expect(first.reserve(MiB).source).toBe('rss')
    const chosen = createController({
      sources: [heap, rss],
      autoStart: false,
      logger: {},
      reservations: { source: 'rss' },
    })
    opened.push(chosen)
    expect(chosen.reserve(MiB).source).toBe('rss')
    expect(chosen.sample().sources.rss!.reserved).toBe(MiB)
  })

  it('decides on the last good reading when the source fails at the grant, and reports the failure', () => {
    const { pressure, heap, errors } = open({}, 80 * MiB)
    pressure.sample()
    heap.failure = new Error('EIO')
    expect(() => pressure.reserve(10 * MiB, { priority: 'low' })).toThrow(ShedError)
    pressure.reserve(10 * MiB)
    expect(errors.map((e) => e.name)).toEqual(['SourceError', 'SourceError'])
  })
})

describe('pressure.reserve after close()', () => {
  it('admits everything, counts nothing, and releasing is harmless', () => {
    const { pressure } = open({}, 80 * MiB)
    const before = pressure.reserve(5 * MiB)
    pressure.close()
    expect(pressure.reserved).toBe(0)
    expect(before.counted).toBe(0)
    before.release()
    before.release()
    const after = pressure.reserve(500 * MiB, { priority: 'low' })
    expect(after.state).toBe('released')
    expect(after.counted).toBe(0)
    after.release()
  })
})

describe('pressure.reserve in observe mode', () => {
  it('grants what would be refused, counts it, claims nothing from the caches, and logs the refusal once per priority', () => {
    const info = vi.fn()
    const { pressure } = open({ mode: 'observe', logger: { info } }, 80 * MiB)
    const cache = pressure.caches.lru<string, string>('rows', { max: 100, sizeCalculation: () => MiB })
    for (let i = 0; i < 10; i++) cache.set(`r${i}`, 'x')
    // 80 MiB used + 10 MiB more is past low's line (0.85): enforce mode would claim from the cache or refuse.
    const a = pressure.reserve(10 * MiB, { priority: 'low' })
    const b = pressure.reserve(10 * MiB, { priority: 'low' })
    expect(a.state).toBe('held')
    expect(b.state).toBe('held')
    expect(pressure.reserved).toBe(20 * MiB)
    expect(cache.size).toBe(10)
    expect(pressure.reservations.stats().refused.low).toBe(0)
    const lines = info.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('reservation of'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/'low' reservation of 10485760 bytes would be refused/)
    // Back to enforce: the same reservation is refused now (the cache gives what it can first).
    pressure.mode = 'enforce'
    expect(() => pressure.reserve(60 * MiB, { priority: 'low' })).toThrow(ShedError)
  })
})
