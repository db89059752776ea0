import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CACHE_POLICY, LEVELS, type CachePriority, type Level } from '../../src/index.js'
import { drive } from '../support/drive.js'

type Op =
  | { kind: 'set'; key: number; size: number }
  | { kind: 'get'; key: number }
  | { kind: 'delete'; key: number }
  | { kind: 'level'; level: Level }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(80), size: fc.integer({ min: 1, max: 20 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(80) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(80) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('level' as const), level: fc.constantFrom(...LEVELS) }) },
)

/** The contract's capacity rule, written out independently of the implementation. */
function expectedCapacity(multiplier: number, reference: number): number {
  if (multiplier === 0 || reference === 0) return 0
  return Math.max(1, Math.floor(Math.round(multiplier * reference * 1e6) / 1e6))
}

describe('properties of a managed cache under random operations and level changes', () => {
  it('never exceeds its capacity or byte budget, never grows under pressure, and follows the reference rule', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 20, max: 600 }),
        fc.constantFrom<CachePriority>('essential', 'normal', 'optional'),
        fc.array(op, { maxLength: 150 }),
        (max, maxSize, priority, ops) => {
          // Back at normal the capacity is max at once here; regrowth has its own properties (regrowth.test.ts).
          const { pressure, errors } = drive({ regrowMs: 0 })
          const cache = pressure.caches.lru<number, number>('p', {
            max,
            maxSize,
            priority,
            sizeCalculation: (size) => size,
          })
          let level: Level = 'normal'
          let entriesRef = max
          let bytesRef = maxSize
          let heldAtStart = 0
          for (const step of ops) {
            if (step.kind === 'set') cache.set(step.key, step.size)
            else if (step.kind === 'get') cache.get(step.key)
            else if (step.kind === 'delete') cache.delete(step.key)
            else if (step.level !== level) {
              if (level === 'normal' && step.level !== 'normal') {
                entriesRef = Math.min(max, cache.size)
                bytesRef = Math.min(maxSize, cache.stats().bytes)
                heldAtStart = cache.size
              }
              if (step.level === 'normal') {
                entriesRef = max
                bytesRef = maxSize
              }
              level = step.level
              pressure.force(level)
            }
            const multiplier = DEFAULT_CACHE_POLICY[level][priority]
            const stats = cache.stats()
            expect(stats.multiplier).toBe(multiplier)
            expect(stats.capacity).toBe(expectedCapacity(multiplier, entriesRef))
            expect(stats.byteCapacity).toBe(expectedCapacity(multiplier, bytesRef))
            expect(stats.entries).toBeLessThanOrEqual(stats.capacity)
            expect(stats.bytes).toBeLessThanOrEqual(stats.byteCapacity!)
            if (level !== 'normal') expect(stats.entries).toBeLessThanOrEqual(heldAtStart)
            if (stats.capacity === 0) expect(cache.get(0)).toBeUndefined()
          }
          expect(errors).toEqual([])
          pressure.close()
        },
      ),
      { numRuns: 300 },
    )
  })
})
