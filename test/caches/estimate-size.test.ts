import { describe, expect, it } from 'vitest'
import { estimateSize } from '../../src/index.js'
import { countedRows } from './helpers.js'

describe('estimateSize (the default byte estimator)', () => {
  it('sizes primitives as V8 stores them: small integers, booleans, null and undefined live in the slot (1, the least size)', () => {
    expect(estimateSize('')).toBe(16)
    expect(estimateSize('abc')).toBe(24) // 16 + 1 per character, rounded up to 8
    expect(estimateSize(42)).toBe(1)
    expect(estimateSize(-(2 ** 31))).toBe(1)
    expect(estimateSize(2 ** 31)).toBe(16) // outside the small-integer range: a boxed double
    expect(estimateSize(0.5)).toBe(16)
    expect(estimateSize(true)).toBe(1)
    expect(estimateSize(null)).toBe(1)
    expect(estimateSize(undefined)).toBe(1)
    expect(estimateSize(new Date())).toBe(112)
    expect(estimateSize(2n ** 200n)).toBeGreaterThan(estimateSize(1n))
  })

  it('a string costs one byte a character when every character is at most U+00FF, two otherwise (issue 16)', () => {
    // 1,000 ASCII strings of 10 KB were reported at 20,496 bytes each; V8 stores them in ~10 KB.
    expect(estimateSize('x'.repeat(10_240))).toBe(16 + 10_240)
    expect(estimateSize('é'.repeat(100))).toBe(120) // Latin-1 is one byte too: 16 + 100, rounded up to 8
    expect(estimateSize('ж'.repeat(100))).toBe(16 + 200)
    expect(estimateSize(`${'a'.repeat(99)}€`)).toBe(16 + 200)
    expect(estimateSize('😀')).toBe(24) // a surrogate pair: two UTF-16 units, 16 + 4, rounded up
    // A long string is judged by its first, middle and last 1,024 characters.
    const ascii = 'a'.repeat(10_000)
    for (const wide of [`ж${ascii}`, `${ascii.slice(0, 5000)}ж${ascii.slice(5000)}`, `${ascii}ж`]) {
      expect(estimateSize(wide)).toBe(16 + 2 * 10_001 + 6) // 20,018 rounded up to 8
    }
    expect(estimateSize(`${ascii.slice(0, 2000)}ж${ascii.slice(2000)}`)).toBe(16 + 10_001 + 7) // between the parts: not seen
  })

  it('sizes binary data by byteLength, with the view and buffer headers (a pooled Buffer shares its buffer)', () => {
    expect(estimateSize(Buffer.alloc(1000))).toBe(96 + 88 + 1000)
    expect(estimateSize(new Uint8Array(100))).toBe(96 + 88 + 100)
    expect(estimateSize(new Float64Array(10))).toBe(96 + 88 + 80)
    expect(estimateSize(new DataView(new ArrayBuffer(8)))).toBe(96 + 88 + 8)
    expect(estimateSize(new ArrayBuffer(10))).toBe(88 + 10)
    const slab = new ArrayBuffer(8192)
    expect(estimateSize(new Uint8Array(slab, 512, 100))).toBe(96 + 100)
  })

  it('sizes objects, arrays, maps and sets with their children; property names are shared, not counted', () => {
    expect(estimateSize({})).toBe(24)
    expect(estimateSize({ a: 1 })).toBe(24 + 8)
    expect(estimateSize({ a: 1, longPropertyName: 0.5 })).toBe(24 + 2 * 8 + 16)
    expect(estimateSize({ id: 7, name: 'Ada' })).toBe(24 + 2 * 8 + 24)
    expect(estimateSize([])).toBe(32)
    expect(estimateSize([1, 2.5, 3])).toBe(32 + 16 + 3 * 8) // numbers in an array are unboxed
    expect(estimateSize(['ab', { a: 1 }])).toBe(32 + 16 + 2 * 8 + 24 + 32)
    // A Map's table has a power of two of slots (at least 4), 28 bytes each; a Set's 20.
    expect(estimateSize(new Map())).toBe(72 + 4 * 28)
    expect(estimateSize(new Map([['k', 1]]))).toBe(72 + 4 * 28 + 24)
    expect(estimateSize(new Map(Array.from({ length: 5 }, (_, i) => [i, i])))).toBe(72 + 8 * 28)
    expect(estimateSize(new Set(['ab']))).toBe(72 + 4 * 20 + 24)
    // Above 128 properties an object is a hash table: 24 bytes a slot, slots a power of two ≥ 1.5 × count.
    const wide = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i]))
    expect(estimateSize(wide)).toBe(24 + 24 * 512)
    const user = { id: 7, name: 'Ada Lovelace', roles: ['admin', 'dev'], avatar: Buffer.alloc(2048) }
    expect(estimateSize(user)).toBeGreaterThan(2048)
    expect(estimateSize({ text: 'x'.repeat(10_000) })).toBe(24 + 8 + 10_016)
  })

  it('walks a bounded number of values and extrapolates the rest', () => {
    const { rows, counted, counter } = countedRows()
    const estimate = estimateSize(counted)
    expect(counter.reads).toBeLessThanOrEqual(1000)
    // Every row is alike, so the extrapolation is the exact per-row figure times the count.
    const perRow = estimateSize({ id: 0, label: 'row' })
    expect(estimate).toBe(32 + 16 + 8 * 100_000 + perRow * 100_000)
    expect(estimateSize(rows, { maxNodes: 10 })).toBe(estimate)
  })

  it('out of budget, the rest of an object is extrapolated, but its strings and buffers are still sized exactly', () => {
    const padded = (i: number) => String(i).padStart(3, '0')
    const headers = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`header-${padded(i)}`, { value: `v${padded(i)}` }]),
    )
    const page = { headers, html: 'x'.repeat(100_000), image: Buffer.alloc(50_000) }
    // 64 values are spent inside `headers`; `html` and `image` still count in full…
    expect(estimateSize(page, { maxNodes: 64 })).toBeGreaterThan(100_000 + 50_000)
    // …and the headers beyond the budget are extrapolated from those seen (all alike here): the
    // estimate is the one a full walk gives.
    expect(estimateSize(page, { maxNodes: 64 })).toBe(estimateSize(page, { maxNodes: 1_000_000 }))
  })

  it('stops at the depth bound and on cycles, and never throws', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    expect(Number.isFinite(estimateSize(cyclic))).toBe(true)
    let deep: unknown = 'leaf'
    for (let i = 0; i < 100; i++) deep = { child: deep }
    expect(estimateSize(deep)).toBeLessThan(estimateSize(deep, { maxDepth: 50 }))
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys')
        },
      },
    )
    expect(estimateSize(hostile)).toBe(64)
    const getter = {
      get boom(): never {
        throw new Error('getter')
      },
    }
    expect(estimateSize(getter)).toBe(64)
  })

  it('always returns a whole number of at least 1', () => {
    for (const value of ['', 0, {}, [], () => 1, Symbol('s'), new Date(), /re/]) {
      const size = estimateSize(value)
      expect(Number.isInteger(size)).toBe(true)
      expect(size).toBeGreaterThanOrEqual(1)
    }
  })
})
