import { afterEach, describe, expect, it } from 'vitest'
import { ReservationLeakError, type Controller } from '../../../src/index.js'
import { ledger } from '../../support/drive.js'
import { MiB } from '../../support/sources.js'

const opened: Controller[] = []
afterEach(() => {
  for (const p of opened.splice(0)) p.close()
})

function open(maxHoldMs?: number) {
  const l = ledger(maxHoldMs === undefined ? {} : { reservations: { maxHoldMs } }, 10 * MiB)
  opened.push(l.pressure)
  return l
}

describe('the leak guard', () => {
  it('reports a reservation held past maxHoldMs with its priority and age, and stops counting it', () => {
    const { pressure, sample, errors } = open(1000)
    const job = pressure.reserve(20 * MiB, { priority: 'low' })
    sample(10 * MiB, 1000)
    expect(job.state).toBe('held') // at maxHoldMs, not past it
    expect(errors).toEqual([])
    sample(10 * MiB, 1001)
    expect(job.state).toBe('expired')
    expect(job.counted).toBe(0)
    expect(pressure.reserved).toBe(0)
    expect(errors).toHaveLength(1)
    const leak = errors[0] as ReservationLeakError
    expect(leak).toBeInstanceOf(ReservationLeakError)
    expect(leak).toMatchObject({
      name: 'ReservationLeakError',
      code: 'HEAPGUARD_RESERVATION_LEAK',
      priority: 'low',
      bytes: 20 * MiB,
      source: 'heap',
      ageMs: 1001,
    })
    expect(leak.message).toBe(
      'heapguard: a \'low\' reservation of 20.0 MiB (source "heap") was held 1.0 s, past reservations.maxHoldMs (1000 ms), without release(); it no longer counts (release it when its work ends: in a finally block, or with `using`)',
    )
    expect(pressure.reservations.stats().expired).toBe(1)
    job.release() // harmless
    expect(job.state).toBe('expired')
    sample(10 * MiB, 5000)
    expect(errors).toHaveLength(1) // reported once
  })

  it('expires the oldest first, at samples and at grants, and keeps the rest', () => {
    const { pressure, clock, errors } = open(100)
    const first = pressure.reserve(MiB)
    clock.t = 50
    const second = pressure.reserve(MiB)
    clock.t = 120
    const third = pressure.reserve(MiB) // the grant runs the guard: the first is past 100 ms
    expect([first.state, second.state, third.state]).toEqual(['expired', 'held', 'held'])
    expect(errors.map((e) => (e as ReservationLeakError).ageMs)).toEqual([120])
  })

  it('defaults to 60 s', () => {
    const { pressure, sample } = open()
    expect(pressure.reservations.stats().maxHoldMs).toBe(60_000)
    const job = pressure.reserve(MiB)
    sample(10 * MiB, 60_000)
    expect(job.state).toBe('held')
    sample(10 * MiB, 60_001)
    expect(job.state).toBe('expired')
  })

  it('reports to the logger when nobody listens, and never throws out of a sample', () => {
    const logged: unknown[] = []
    const l = ledger({ reservations: { maxHoldMs: 10 }, logger: { error: (...args: unknown[]) => logged.push(args) } })
    opened.push(l.pressure)
    l.pressure.off('error')
    l.pressure.reserve(MiB)
    expect(() => l.sample(0, 11)).not.toThrow()
    expect(logged).toHaveLength(1)
  })
})
