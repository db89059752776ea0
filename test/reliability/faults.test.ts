import { QueryClient } from '@tanstack/query-core'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createController,
  SourceError,
  TaskError,
  type Controller,
  type ControllerOptions,
  type Level,
  type Managed,
  type Reading,
} from '../../src/index.js'
import { manageQueryCache } from '../../src/query.js'
import { requireBuild, startFixture } from '../degrade/fixture-process.js'

// Fault injection: sources, listeners, callbacks and caches that misbehave, and shutdowns at the
// worst moment. The rule under test (contract §1): nothing crashes, nothing leaks, every failure
// reaches 'error', and everything else keeps working.

afterEach(() => {
  vi.useRealTimers()
})

/** A controller driven by hand; records what reaches 'error'. */
function manual(options: ControllerOptions = {}) {
  const state = { t: 0, ratio: 0 }
  const pressure = createController({
    sources: [{ name: 'fake', read: () => ({ used: state.ratio, limit: 1 }) }],
    autoStart: false,
    now: () => state.t,
    ...options,
  })
  const errors: Error[] = []
  pressure.on('error', (e) => errors.push(e))
  return { pressure, errors, state }
}

function fill(cache: { set(key: number, value: number): unknown }, n: number): void {
  for (let i = 0; i < n; i++) cache.set(i, i)
}

// ---------------------------------------------------------------------------------------------
describe('sources that throw, hang or return garbage', () => {
  type Kind = 'good' | 'throw' | 'NaN' | 'string' | 'null' | 'undefined' | 'negative' | 'zero limit' | 'infinite' | 'overflow' | 'hang' | 'reject'
  const readings: Record<Exclude<Kind, 'good' | 'throw'>, () => unknown> = {
    NaN: () => ({ used: Number.NaN, limit: 1 }),
    string: () => ({ used: '0.5', limit: '1' }),
    null: () => null,
    undefined: () => undefined,
    negative: () => ({ used: -5, limit: 10 }),
    'zero limit': () => ({ used: 1, limit: 0 }),
    infinite: () => ({ used: Infinity, limit: 1 }),
    // Both finite, but the ratio overflows to Infinity.
    overflow: () => ({ used: Number.MAX_VALUE, limit: Number.MIN_VALUE }),
    // Sources are synchronous by contract: a promise is garbage, whether it never settles...
    hang: () => new Promise(() => {}),
    // ...or rejects later (an `async read()` that throws): that must not become an unhandled rejection.
    reject: () => Promise.reject(new Error('async read failed')),
  }
  const kindArb = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant<Kind>('good'), ratio: fc.double({ min: 0, max: 1.2, noNaN: true }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom<Kind>('throw', ...(Object.keys(readings) as Kind[])), ratio: fc.constant(0) }) },
  )

  it('under a running timer, every bad read is reported as a SourceError, sampling never stops, and the level follows the good readings only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kindArb, { minLength: 1, maxLength: 60 }), async (script) => {
        vi.useFakeTimers()
        let i = 0
        let bad = 0
        let lastGood: Reading | undefined
        // A twin fed the good readings only, at the same times: the level the chaos must not disturb.
        const twin = createController({
          sources: [{ name: 'twin', read: () => lastGood! }],
          autoStart: false,
          now: () => Date.now(),
          recoveryMs: 200,
        })
        const chaos = {
          name: 'chaos',
          read(): Reading {
            const step = script[i++ % script.length]!
            if (step.kind === 'good') {
              lastGood = { used: step.ratio, limit: 1 }
              twin.sample()
              return lastGood
            }
            bad++
            if (step.kind === 'throw') throw new Error('EIO')
            return readings[step.kind]() as Reading
          },
        }
        const errors: Error[] = []
        // The first sample is taken inside createController(), before any 'error' listener: the logger gets it.
        const logger = { error: (_message: string, error: Error) => errors.push(error) }
        const pressure = createController({ sources: [chaos], intervalMs: 100, fastIntervalMs: 100, sampleOnGc: false, recoveryMs: 200, now: () => Date.now(), logger })
        pressure.on('error', (e) => errors.push(e))
        const samples = 2 * script.length
        for (let n = 1; n < samples; n++) {
          // Fake timers rethrow whatever a timer callback throws: this fails if anything escapes.
          await vi.advanceTimersByTimeAsync(100)
          expect(pressure.level).toBe(twin.level)
        }
        expect(i).toBe(samples) // one read per sample: the first at start, then one per interval
        expect(pressure.history()).toHaveLength(samples)
        expect(errors).toHaveLength(bad)
        expect(errors.every((e) => e instanceof SourceError && e.source === 'chaos')).toBe(true)
        expect(pressure.ratio).toBe(lastGood === undefined ? 0 : lastGood.used)
        pressure.close()
        twin.close()
        expect(vi.getTimerCount()).toBe(0)
        vi.useRealTimers()
      }),
      { numRuns: 60 },
    )
  })
})
