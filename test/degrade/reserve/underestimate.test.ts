// A reservation whose source grew far more than it announced while it was held (an import
// estimated for 20,000 rows when the table had 102,000) is counted, and the first of each
// priority is logged as a warning with a code and the figures.
import { describe, expect, it } from 'vitest'
import { metricsHandler } from '../../../src/web.js'
import { ledger } from '../../support/drive.js'

const MiB = 1024 * 1024

function controller() {
  const warnings: string[] = []
  const l = ledger({ logger: { warn: (line: string) => void warnings.push(line) } }, 10 * MiB)
  return { ...l, warnings }
}

describe('reservations: the estimate check', () => {
  it('counts a reservation whose source grew past twice its bytes, and warns once per priority with the figures', async () => {
    const { pressure, sample, warnings, errors } = controller()
    const job = pressure.reserve(4 * MiB, { priority: 'low' }) // 20,000 rows estimated…
    sample(30 * MiB) // …102,000 loaded: the heap grew 20 MiB while it was held
    sample(12 * MiB) // a GC later: the peak is what counts
    job.release()
    expect(pressure.reservations.stats().underestimated).toEqual({ critical: 0, high: 0, normal: 0, low: 1 })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^heapguard: HEAPGUARD_RESERVATION_UNDERESTIMATED: a 'low' reservation of 4\.0 MiB saw source "heap" grow 20\.0 MiB \(5\.0× its bytes\) while it was held/,
    )
    // The same priority again: counted, not logged again.
    const again = pressure.reserve(4 * MiB, { priority: 'low' })
    sample(40 * MiB)
    again.release()
    expect(pressure.reservations.stats().underestimated.low).toBe(2)
    expect(warnings).toHaveLength(1)
    // Another priority has its own first warning.
    const other = pressure.reserve(2 * MiB)
    sample(50 * MiB)
    other.release()
    expect(warnings).toHaveLength(2)
    expect(warnings[1]).toContain("a 'normal' reservation of 2.0 MiB")
    const text = await metricsHandler(pressure)(new Request('http://x/metrics')).text()
    expect(text).toContain('reservations_underestimated_total{priority="low"} 2')
    expect(text).toContain('reservations_underestimated_total{priority="normal"} 1')
    expect(errors).toEqual([]) // not an error of heapguard's
    pressure.close()
  })

  it('says nothing of work that allocated about what it announced, of growth other reservations announced, or of small reservations on a busy heap', () => {
    const { pressure, sample, warnings } = controller()
    const fair = pressure.reserve(10 * MiB)
    sample(25 * MiB) // 15 MiB for 10 announced: within twice
    fair.release()
    const small = pressure.reserve(100 * 1024)
    sample(25.5 * MiB) // 5× its bytes, but under 1 MiB over them
    small.release()
    // Growth that other reservations announced while it was held is theirs, not its own.
    const first = pressure.reserve(4 * MiB)
    const second = pressure.reserve(16 * MiB)
    sample(46 * MiB) // 20.5 MiB for the 20 both announced
    second.release()
    first.release()
    const unreleased = pressure.reserve(MiB)
    sample(80 * MiB) // judged at release only
    expect(pressure.reservations.stats().underestimated).toEqual({ critical: 0, high: 0, normal: 0, low: 0 })
    expect(warnings).toEqual([])
    unreleased.release()
    expect(pressure.reservations.stats().underestimated.normal).toBe(1)
    pressure.close()
  })
})
