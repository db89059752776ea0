import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LEVELS, PRIORITIES, type Level, type Priority, type ShedPermit } from '../../../src/index.js'
import { manualController } from '../../support/drive.js'

type Command =
  | { kind: 'level'; level: Level }
  | { kind: 'acquire'; priority: Priority }
  | { kind: 'complete'; pick: number }
  | { kind: 'abort'; pick: number }
  | { kind: 'release-again'; pick: number }
  | { kind: 'wait'; ms: number }

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...LEVELS).map((level) => ({ kind: 'level' as const, level })) },
  { weight: 5, arbitrary: fc.constantFrom(...PRIORITIES).map((priority) => ({ kind: 'acquire' as const, priority })) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: 'complete' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'abort' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'release-again' as const, pick })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 80 }).map((ms) => ({ kind: 'wait' as const, ms })) },
)

/** Limits that never loosen as the level rises (the only shape the options accept). */
const configArb = fc.record({
  limits: fc.array(fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), { minLength: 4, maxLength: 4 }),
  queueSize: fc.integer({ min: 0, max: 4 }),
  timeoutMs: fc.integer({ min: 1, max: 100 }),
})

function concurrencyFrom(raw: (number | undefined)[]): Partial<Record<Level, number>> {
  const out: Partial<Record<Level, number>> = {}
  let below = Infinity
  LEVELS.forEach((level, i) => {
    const n = raw[i]
    if (n === undefined) return
    below = Math.min(below, n)
    out[level] = below
  })
  return out
}

describe('shedding invariants under random schedules', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('never lets in-flight go negative or past the limit, never strands a waiter, decides each permit once', () => {
    fc.assert(
      fc.property(configArb, fc.array(commandArb, { maxLength: 80 }), (config, commands) => {
        const pressure = manualController({
          concurrency: concurrencyFrom(config.limits),
          queue: { size: config.queueSize, timeoutMs: config.timeoutMs },
        })
        const permits: ShedPermit[] = []
        const decisions = new Map<ShedPermit, number>()
        const withdrawn = new Set<ShedPermit>()
        const violations: string[] = []

        const check = (where: string) => {
          const stats = pressure.shed.stats()
          const admitted = permits.filter((p) => p.state === 'admitted').length
          const waiting = permits.filter((p) => p.state === 'waiting').length
          if (stats.inFlight < 0) violations.push(`${where}: inFlight ${stats.inFlight} < 0`)
          if (stats.inFlight !== admitted)
            violations.push(`${where}: inFlight ${stats.inFlight}, permits holding a slot ${admitted}`)
          if (stats.queued !== waiting) violations.push(`${where}: queued ${stats.queued}, waiting permits ${waiting}`)
          if (stats.queued > config.queueSize)
            violations.push(`${where}: queued ${stats.queued} > queue size ${config.queueSize}`)
          // Work-conserving: nobody waits while a slot is free.
          if (stats.queued > 0 && (stats.limit === null || stats.inFlight < stats.limit)) {
            violations.push(
              `${where}: ${stats.queued} waiting with inFlight ${stats.inFlight} and limit ${stats.limit}`,
            )
          }
        }

        for (const command of commands) {
          switch (command.kind) {
            case 'level':
              pressure.force(command.level)
              break
            case 'acquire': {
              const permit = pressure.shed.acquire(command.priority, (error, p) => {
                decisions.set(p, (decisions.get(p) ?? 0) + 1)
                if (withdrawn.has(p)) violations.push('a withdrawn permit got a decision')
                const stats = pressure.shed.stats()
                // A non-critical grant only ever fills a free slot: in flight stays within the limit.
                if (
                  error === undefined &&
                  p.priority !== 'critical' &&
                  stats.limit !== null &&
                  stats.inFlight > stats.limit
                ) {
                  violations.push(`granted '${p.priority}' at inFlight ${stats.inFlight} > limit ${stats.limit}`)
                }
                if (error !== undefined && p.state !== 'refused') violations.push(`refused permit in state ${p.state}`)
              })
              permits.push(permit)
              break
            }
            case 'complete': {
              const running = permits.filter((p) => p.state === 'admitted')
              running[command.pick % Math.max(running.length, 1)]?.release()
              break
            }
            case 'abort': {
              const waiting = permits.filter((p) => p.state === 'waiting')
              const permit = waiting[command.pick % Math.max(waiting.length, 1)]
              if (permit !== undefined) {
                withdrawn.add(permit)
                permit.release()
              }
              break
            }
            case 'release-again': {
              const done = permits.filter((p) => p.state === 'released' || p.state === 'refused')
              done[command.pick % Math.max(done.length, 1)]?.release()
              break
            }
            case 'wait':
              vi.advanceTimersByTime(command.ms)
              break
          }
          check(command.kind)
        }

        // Winding down: finish everything; every waiter ends up admitted or timed out.
        for (let guard = 0; guard < 1000; guard++) {
          const running = permits.filter((p) => p.state === 'admitted')
          if (running.length === 0) break
          running[0]!.release()
          check('wind-down')
        }
        vi.advanceTimersByTime(config.timeoutMs)
        for (const p of permits.filter((p) => p.state === 'admitted')) p.release()
        check('end')
        const end = pressure.shed.stats()
        pressure.close()

        expect(violations).toEqual([])
        expect(end).toMatchObject({ inFlight: 0, queued: 0 })
        for (const permit of permits) {
          expect(decisions.get(permit) ?? 0).toBe(withdrawn.has(permit) ? 0 : 1)
        }
        const refusals = Object.values(end.refused).reduce((a, b) => a + b, 0)
        expect(end.admitted + refusals + withdrawn.size).toBe(permits.length)
      }),
      { numRuns: 1000 },
    )
  })
})
