import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, type Controller, type ReconcileRule } from '../../../src/index.js'
import { gcSeam } from '../../support/drive.js'
import { ledger } from '../../support/drive.js'
import { bytesSource, LIMIT, MiB } from '../../support/sources.js'

const opened: Controller[] = []
afterEach(() => {
  vi.useRealTimers()
  for (const p of opened.splice(0)) p.close()
})

function open(reconcile: ReconcileRule, used: number) {
  const l = ledger({ reservations: { reconcile } }, used)
  opened.push(l.pressure)
  return l
}

/** A controller whose GCs the test plays (major or minor); every sample after the first comes from one. */
function withGc(reconcile: ReconcileRule, used: number) {
  vi.useFakeTimers()
  const clock = { t: 0 }
  const heap = bytesSource('heap', used)
  const seam = gcSeam()
  const pressure = createController({
    sources: [heap],
    now: () => clock.t,
    intervalMs: 60_000,
    fastIntervalMs: 60_000,
    gcCoalesceMs: 0,
    subscribeGc: seam.subscribeGc,
    logger: {},
    reservations: { reconcile },
  })
  opened.push(pressure)
  const gc = (usedAfter: number, major = true) => {
    heap.used = usedAfter
    clock.t += 10
    seam.gc(major)
  }
  return { pressure, heap, gc }
}

describe("reconcile: 'growth' (the default): a reservation counts what the source is still below its projection", () => {
  it('is the default', () => {
    const { pressure } = ledger()
    opened.push(pressure)
    expect(pressure.reservations.stats().reconcile).toBe('growth')
  })

  it('stops counting what the work has allocated, and never counts it twice', () => {
    const { pressure, sample } = open('growth', 50 * MiB)
    const job = pressure.reserve(20 * MiB) // projection: 70 MiB
    expect(job.counted).toBe(20 * MiB)
    sample(60 * MiB)
    expect(job.counted).toBe(10 * MiB)
    expect(pressure.ratio).toBeCloseTo(0.7)
    sample(80 * MiB) // the work allocated more than it announced: only the reading counts
    expect(job.counted).toBe(0)
    expect(pressure.ratio).toBeCloseTo(0.8)
  })

  it('keeps the room up to the projection when a GC takes the reading back down', () => {
    const { pressure, sample } = open('growth', 50 * MiB)
    const job = pressure.reserve(20 * MiB)
    sample(75 * MiB)
    sample(55 * MiB) // garbage collected; the room is still promised to the work
    expect(job.counted).toBe(15 * MiB)
    expect(pressure.sample().sources.heap).toMatchObject({ used: 55 * MiB, reserved: 15 * MiB, ratio: 0.7 })
  })

  it('stacks projections: a later reservation stands on the earlier ones', () => {
    const { pressure, sample } = open('growth', 50 * MiB)
    const first = pressure.reserve(20 * MiB) // up to 70
    const second = pressure.reserve(10 * MiB) // up to 80
    expect(pressure.reserved).toBe(30 * MiB)
    sample(75 * MiB)
    expect([first.counted, second.counted]).toEqual([0, 5 * MiB])
    second.release()
    expect(pressure.reserved).toBe(0) // 75 MiB read is above the first projection
    sample(60 * MiB)
    expect(first.counted).toBe(10 * MiB)
    expect(pressure.reservations.list()).toEqual([
      { priority: 'normal', bytes: 20 * MiB, counted: 10 * MiB, source: 'heap', ageMs: 0 },
    ])
  })
})

describe("reconcile: 'growth' after a major GC", () => {
  it('stops keeping room for the garbage the reading held at the grant', () => {
    const { pressure, heap, gc } = withGc('growth', 50 * MiB)
    const job = pressure.reserve(20 * MiB) // projection 70 MiB, of which 10 MiB were garbage
    gc(45 * MiB, false)
    expect(job.counted).toBe(20 * MiB) // a minor GC proves nothing: the projection holds (at most its bytes)
    expect(pressure.reserved).toBe(20 * MiB)
    gc(40 * MiB) // a major one: live heap 40, the work has allocated nothing yet
    expect(job.counted).toBe(20 * MiB)
    expect(pressure.sample().sources.heap).toMatchObject({ used: 40 * MiB, reserved: 20 * MiB, ratio: 0.6 })
    heap.used = 58 * MiB
    pressure.sample()
    expect(job.counted).toBe(2 * MiB)
    gc(58 * MiB) // the post-GC heap rose 18 MiB: charged to the reservation, 2 MiB still to come
    expect(job.counted).toBe(2 * MiB)
    gc(50 * MiB)
    expect(job.counted).toBe(2 * MiB) // capped at 50 + 2: a projection only ever comes down
  })

  it('caps stacked projections in grant order', () => {
    const { pressure, gc } = withGc('growth', 50 * MiB)
    const first = pressure.reserve(10 * MiB) // up to 60
    const second = pressure.reserve(10 * MiB) // up to 70
    gc(30 * MiB)
    expect([first.counted, second.counted]).toEqual([10 * MiB, 10 * MiB])
    expect(pressure.reserved).toBe(20 * MiB)
  })
})

describe("reconcile: 'floor': rises of the heap after major GCs are charged to reservations, oldest first", () => {
  it('counts in full until a major GC shows the heap risen, then by what is left', () => {
    const { pressure, heap, gc } = withGc('floor', 50 * MiB)
    const first = pressure.reserve(20 * MiB)
    const second = pressure.reserve(10 * MiB)
    heap.used = 70 * MiB
    pressure.sample()
    expect(pressure.reserved).toBe(30 * MiB) // a plain sample changes nothing
    gc(65 * MiB, false)
    expect(pressure.reserved).toBe(30 * MiB) // nor does a minor GC
    gc(62 * MiB)
    expect([first.counted, second.counted]).toEqual([8 * MiB, 10 * MiB])
    gc(80 * MiB)
    expect([first.counted, second.counted]).toEqual([0, 0])
    expect(pressure.sample().sources.heap).toMatchObject({ used: 80 * MiB, reserved: 0 })
  })
})

describe("reconcile: 'hold': a reservation counts its bytes until released", () => {
  it('ignores what the source does', () => {
    const { pressure, sample } = open('hold', 50 * MiB)
    const job = pressure.reserve(20 * MiB)
    sample(90 * MiB)
    expect(job.counted).toBe(20 * MiB)
    expect(pressure.ratio).toBeCloseTo(1.1)
    sample(10 * MiB)
    expect(job.counted).toBe(20 * MiB)
    job.release()
    expect(pressure.reserved).toBe(0)
  })
})

describe('reclaimed cache memory', () => {
  for (const rule of ['growth', 'floor', 'hold'] as const) {
    it(`${rule}: is taken off the reading until a GC collects it, and a major GC clears it`, () => {
      const { pressure, heap, gc } = withGc(rule, 10 * MiB)
      const cache = pressure.caches.lru<string, string>('rows', {
        max: 100,
        maxSize: 100 * MiB,
        sizeCalculation: () => MiB,
      })
      for (let i = 0; i < 30; i++) cache.set(`k${i}`, 'v')
      heap.used = 70 * MiB
      pressure.reserve(20 * MiB, { priority: 'low' }) // 70 + 20 ≥ 85: 5 MiB + 1 byte claimed, 6 entries
      // Then the level rises to warning at the grant: 0.75 of the 24 left.
      expect(cache.size).toBe(18)
      expect(pressure.sample().sources.heap).toMatchObject({ used: 70 * MiB, reclaimed: 6 * MiB })
      gc(66 * MiB, false) // a minor GC: what it freed counts as collected first
      expect(pressure.sample().sources.heap!.reclaimed).toBe(2 * MiB)
      heap.used = 67 * MiB
      gc(67 * MiB)
      expect(pressure.sample().sources.heap!.reclaimed).toBe(0)
      expect(pressure.reservations.stats()).toMatchObject({ claimedFromCaches: 6 * MiB, reclaimed: 0 })
    })
  }

  it('lowers the projections of the reservations already held (the caches hold that room down)', () => {
    const { pressure, sample } = open('growth', 40 * MiB)
    const cache = pressure.caches.lru<string, string>('rows', { max: 100, maxSize: LIMIT, sizeCalculation: () => MiB })
    for (let i = 0; i < 30; i++) cache.set(`k${i}`, 'v')
    const first = pressure.reserve(30 * MiB, { priority: 'low' }) // up to 70: warning, the cache keeps 22 MiB
    expect(cache.size).toBe(22)
    const second = pressure.reserve(20 * MiB, { priority: 'low' }) // 90 ≥ 85: 6 MiB claimed, first now up to 64
    expect(cache.size).toBe(16)
    sample(40 * MiB) // less the 6 MiB not yet collected: 34 MiB of the reading counts, and 50 reserved on it
    expect([first.counted, second.counted]).toEqual([30 * MiB, 20 * MiB])
    expect(pressure.ratio).toBeCloseTo(0.84)
  })
})
