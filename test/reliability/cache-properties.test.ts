import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  CACHE_PRIORITIES,
  createController,
  DEFAULT_CACHE_POLICY,
  LEVELS,
  type CachePolicyOptions,
  type CachePriority,
  type Level,
  type LevelChange,
  type ManagedLru,
} from '../../src/index.js'

// Random cache operations interleaved with random level changes, across caches of every priority,
// checked after every completed operation against the contract's capacity rule (§2), written out
// here independently of the implementation:
//   capacity = ⌊multiplier × reference⌋, at least 1 when both are above 0;
//   reference = max at `normal`; min(max, held) frozen when the level leaves `normal`.
// Multipliers are whole percentages, so the expected capacity is exact integer arithmetic.

/** A policy multiplier as a whole percentage: 0.29 is 29. */
type Percent = number
type PercentPolicy = Record<Level, Record<CachePriority, Percent>>

const DEFAULT_PERCENT: PercentPolicy = Object.fromEntries(
  LEVELS.map((level) => [
    level,
    Object.fromEntries(CACHE_PRIORITIES.map((p) => [p, Math.round(DEFAULT_CACHE_POLICY[level][p] * 100)])),
  ]),
) as PercentPolicy

function capacityOf(percent: Percent, reference: number): number {
  if (percent === 0 || reference === 0) return 0
  return Math.max(1, Math.floor((percent * reference) / 100))
}

/** A partial `cachePolicy` (some cells left to the defaults) and the full table it gives, in percent. */
const policyArb = fc
  .array(fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined, freq: 2 }), { minLength: 12, maxLength: 12 })
  .map((cells) => {
    const options: CachePolicyOptions = {}
    const percent = structuredClone(DEFAULT_PERCENT)
    LEVELS.forEach((level, li) =>
      CACHE_PRIORITIES.forEach((priority, pi) => {
        const cell = cells[li * 3 + pi]
        if (cell === undefined) return
        ;(options[level] ??= {})[priority] = cell / 100
        percent[level][priority] = cell
      }),
    )
    return { options, percent }
  })

interface CacheSpec {
  priority: CachePriority
  max: number
  maxSize: number | undefined
  /** `calc`: sizeCalculation = value length; `estimate`: heapguard's default estimator (needs maxSize); `none`. */
  sizing: 'calc' | 'estimate' | 'none'
}

const specArb = (priority: fc.Arbitrary<CachePriority>): fc.Arbitrary<CacheSpec> =>
  fc
    .record({
      priority,
      max: fc.integer({ min: 1, max: 40 }),
      maxSize: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
      sizing: fc.constantFrom('calc' as const, 'estimate' as const, 'none' as const),
    })
    .map((s) => (s.maxSize === undefined && s.sizing === 'estimate' ? { ...s, sizing: 'none' as const } : s))

/** Caches of every priority, then up to two more of any. */
const specsArb = fc
  .tuple(
    specArb(fc.constant('essential')),
    specArb(fc.constant('normal')),
    specArb(fc.constant('optional')),
    fc.array(specArb(fc.constantFrom(...CACHE_PRIORITIES)), { maxLength: 2 }),
  )
  .map(([a, b, c, more]) => [a, b, c, ...more])

type Op =
  | { kind: 'set'; cache: number; key: number; length: number }
  | { kind: 'get'; cache: number; key: number }
  | { kind: 'delete'; cache: number; key: number }
  | { kind: 'invalidate'; cache: number; key: number }
  | { kind: 'invalidateWhere'; cache: number; modulo: number }
  | { kind: 'clear'; cache: number }
  | {
      kind: 'load'
      cache: number
      key: number
      length: number
      mode: 'sync' | 'async' | 'deferred' | 'throw' | 'reject'
      bypass: boolean
    }
  | { kind: 'settle'; pick: number; fail: boolean }
  | { kind: 'force'; level: Level }
  | { kind: 'release' }
  | { kind: 'sample'; ratio: number; dt: number }

const cacheIndex = fc.nat(9)
const key = fc.nat(30)
const length = fc.integer({ min: 1, max: 80 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), cache: cacheIndex, key, length }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), cache: cacheIndex, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), cache: cacheIndex, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidate' as const), cache: cacheIndex, key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('invalidateWhere' as const),
      cache: cacheIndex,
      modulo: fc.integer({ min: 2, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), cache: cacheIndex }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('load' as const),
      cache: cacheIndex,
      key,
      length,
      mode: fc.constantFrom(
        'sync' as const,
        'async' as const,
        'deferred' as const,
        'deferred' as const,
        'throw' as const,
        'reject' as const,
      ),
      bypass: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), fail: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('force' as const), level: fc.constantFrom(...LEVELS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sample' as const),
      ratio: fc.double({ min: 0, max: 1.05, noNaN: true }),
      dt: fc.integer({ min: 0, max: 150 }),
    }),
  },
)

interface Reference {
  entries: number
  bytes: number
}

/** Lets every microtask and promise chain of the operation finish (loads store their value there). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('managed caches stay within capacity under random operations and level changes', () => {
  it('after every operation: entries ≤ capacity, bytes ≤ byte capacity, capacity = ⌊multiplier × frozen reference⌋, disabled caches hold nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        specsArb,
        fc.array(opArb, { minLength: 1, maxLength: 120 }),
        async (policy, specs, ops) => {
          let t = 0
          let ratio = 0
          const pressure = createController({
            sources: [{ name: 'fake', read: () => ({ used: ratio, limit: 1 }) }],
            autoStart: false,
            now: () => t,
            recoveryMs: 100,
            // At normal the capacity is max at once here; regrowth has its own properties (test/caches/regrowth.test.ts).
            regrowMs: 0,
            cachePolicy: policy.options,
          })
          const errors: Error[] = []
          pressure.on('error', (e) => errors.push(e))
          const caches: ManagedLru<number, string>[] = specs.map((spec, i) =>
            pressure.caches.lru<number, string>(`c${i}`, {
              max: spec.max,
              priority: spec.priority,
              ...(spec.maxSize === undefined ? {} : { maxSize: spec.maxSize }),
              ...(spec.sizing === 'calc' ? { sizeCalculation: (value: string) => value.length } : {}),
            }),
          )

          // The model: references per cache, frozen from what was held just before the level left normal.
          const held = () => caches.map((c) => ({ entries: c.size, bytes: c.stats().bytes }))
          let before = held()
          const references: Reference[] = specs.map((s) => ({ entries: s.max, bytes: s.maxSize ?? 0 }))
          let level: Level = 'normal'
          pressure.on('level', (change: LevelChange) => {
            expect(change.from).toBe(level)
            if (change.from === 'normal') {
              specs.forEach((s, i) => {
                references[i] = {
                  entries: Math.min(s.max, before[i]!.entries),
                  bytes: Math.min(s.maxSize ?? 0, before[i]!.bytes),
                }
              })
            } else if (change.to === 'normal') {
              specs.forEach((s, i) => {
                references[i] = { entries: s.max, bytes: s.maxSize ?? 0 }
              })
            }
            level = change.to
            before = held()
          })

          const pending: { resolve: (v: string) => void; reject: (e: Error) => void }[] = []
          const loads: Promise<unknown>[] = []
          for (const op of ops) {
            const cache = 'cache' in op ? caches[op.cache % caches.length]! : undefined
            switch (op.kind) {
              case 'set':
                cache!.set(op.key, 'x'.repeat(op.length))
                break
              case 'get':
                cache!.get(op.key)
                break
              case 'delete':
                cache!.delete(op.key)
                break
              case 'invalidate':
                cache!.invalidate(op.key)
                break
              case 'invalidateWhere':
                cache!.invalidateWhere((k) => k % op.modulo === 0)
                break
              case 'clear':
                cache!.clear()
                break
              case 'load': {
                const value = 'y'.repeat(op.length)
                const loader = (): string | Promise<string> => {
                  switch (op.mode) {
                    case 'sync':
                      return value
                    case 'async':
                      return Promise.resolve(value)
                    case 'throw':
                      throw new Error('loader threw')
                    case 'reject':
                      return Promise.reject(new Error('loader rejected'))
                    case 'deferred':
                      return new Promise<string>((resolve, reject) => pending.push({ resolve, reject }))
                  }
                }
                // A failed load is the caller's to handle (it rejects getOrLoad), not a controller error.
                loads.push(cache!.getOrLoad(op.key, loader, { bypass: op.bypass }).catch(() => undefined))
                break
              }
              case 'settle': {
                if (pending.length === 0) break
                const [load] = pending.splice(op.pick % pending.length, 1)
                if (op.fail) load!.reject(new Error('late failure'))
                else load!.resolve('z'.repeat(1 + (op.pick % 50)))
                break
              }
              case 'force':
                pressure.force(op.level)
                break
              case 'release':
                pressure.release()
                break
              case 'sample':
                t += op.dt
                ratio = op.ratio
                pressure.sample()
                break
            }
            await settled()

            expect(pressure.level).toBe(level)
            caches.forEach((cache, i) => {
              const spec = specs[i]!
              const percent = policy.percent[level][spec.priority]
              const stats = cache.stats()
              const capacity = capacityOf(percent, references[i]!.entries)
              expect(stats.multiplier).toBe(percent / 100)
              expect(stats.capacity).toBe(capacity)
              expect(cache.capacity).toBe(capacity)
              expect(stats.entries).toBeLessThanOrEqual(capacity)
              expect([...cache.keys()].length).toBe(stats.entries)
              if (spec.maxSize === undefined) {
                expect(stats.byteCapacity).toBeNull()
              } else {
                const byteCapacity = capacityOf(percent, references[i]!.bytes)
                expect(stats.byteCapacity).toBe(byteCapacity)
                expect(stats.bytes).toBeLessThanOrEqual(byteCapacity)
              }
              if (percent === 0) {
                expect(stats.entries).toBe(0)
                expect(cache.has(0) || cache.get(0) !== undefined).toBe(false)
              }
            })
            before = held()
          }
          pressure.close()
          for (const load of pending) load.resolve('after close')
          await Promise.all(loads)
          expect(errors).toEqual([])
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('a big cache trimmed in slices converges to its capacity', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const bigSpecArb = fc.record({
    priority: fc.constantFrom(...CACHE_PRIORITIES),
    max: fc.integer({ min: 6_000, max: 30_000 }),
    fill: fc.double({ min: 0.3, max: 1, noNaN: true }),
    /** With a byte budget, each entry weighs 1 to 4 bytes. */
    bytes: fc.boolean(),
  })
  const stepArb = fc.record({
    level: fc.constantFrom(...LEVELS),
    /** Sets made while the slices run. */
    sets: fc.nat(3_000),
    /** Slices let run before the next step (the rest run at the end). */
    slices: fc.nat(4),
  })

  it('capacity holds from the level change, set never grows a trimming cache, and once the slices finish entries and bytes are within capacity', () => {
    // Only the immediates are faked: the slices' own deadline reads the real clock, and
    // runAllTimers() runs every slice there is, so "the slices finished" is exact, not a guess.
    vi.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate'] })
    let sliced = 0
    fc.assert(
      fc.property(
        fc.array(bigSpecArb, { minLength: 1, maxLength: 3 }),
        fc.array(stepArb, { minLength: 1, maxLength: 5 }),
        (specs, steps) => {
          const pressure = createController({
            sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
            autoStart: false,
            now: () => 0,
            regrowMs: 0, // the capacity back at max at normal, as this property expects
          })
          const errors: Error[] = []
          pressure.on('error', (e) => errors.push(e))
          const weight = (key: number) => 1 + (key % 4)
          const caches = specs.map((spec, i) =>
            pressure.caches.lru<number, number>(`big${i}`, {
              max: spec.max,
              priority: spec.priority,
              ...(spec.bytes ? { maxSize: spec.max * 2, sizeCalculation: (_v: number, k: number) => weight(k) } : {}),
            }),
          )
          let next = 0
          caches.forEach((cache, i) => {
            const n = Math.floor(specs[i]!.max * specs[i]!.fill)
            for (let k = 0; k < n; k++) cache.set(next++, k)
          })
          const references = specs.map((s) => ({ entries: s.max, bytes: s.bytes ? s.max * 2 : 0 }))
          let level: Level = 'normal'
          for (const step of steps) {
            const heldBefore = caches.map((c) => ({ entries: c.size, bytes: c.stats().bytes }))
            pressure.force(step.level)
            if (level === 'normal' && step.level !== 'normal') {
              specs.forEach((s, i) => {
                references[i] = {
                  entries: Math.min(s.max, heldBefore[i]!.entries),
                  bytes: Math.min(s.bytes ? s.max * 2 : 0, heldBefore[i]!.bytes),
                }
              })
            } else if (step.level === 'normal') {
              specs.forEach((s, i) => {
                references[i] = { entries: s.max, bytes: s.bytes ? s.max * 2 : 0 }
              })
            }
            level = step.level
            caches.forEach((cache, i) => {
              const percent = DEFAULT_PERCENT[level][specs[i]!.priority]
              // The new capacity holds at once, whatever is still to evict.
              expect(cache.capacity).toBe(capacityOf(percent, references[i]!.entries))
              // More to evict than a synchronous trim takes (4,096 entries): the rest is left to slices.
              if (heldBefore[i]!.entries - cache.capacity > 4_096) {
                expect(cache.size).toBeGreaterThan(cache.capacity)
                expect(vi.getTimerCount()).toBeGreaterThan(0)
                sliced++
              }
              expect(cache.stats().multiplier).toBe(percent / 100)
              const size = cache.size
              for (let k = 0; k < step.sets; k++) cache.set(next++, k)
              // A trimming cache never grows; a cache within capacity stays within it.
              expect(cache.size).toBeLessThanOrEqual(Math.max(size, cache.capacity))
            })
            for (let s = 0; s < step.slices; s++) vi.advanceTimersToNextTimer()
          }
          vi.runAllTimers()
          expect(vi.getTimerCount()).toBe(0)
          caches.forEach((cache, i) => {
            const stats = cache.stats()
            expect(stats.entries).toBeLessThanOrEqual(stats.capacity)
            if (specs[i]!.bytes) expect(stats.bytes).toBeLessThanOrEqual(stats.byteCapacity!)
            if (stats.multiplier === 0) expect(stats.entries).toBe(0)
          })
          expect(errors).toEqual([])
          pressure.close()
        },
      ),
      { numRuns: 25 },
    )
    // The property is about slices: make sure the runs really exercised them.
    expect(sliced).toBeGreaterThan(0)
  })
})
