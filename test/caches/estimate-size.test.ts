import { describe, expect, it } from 'vitest'
import { estimateSize } from '../../src/index.js'
import { countedRows } from './helpers.js'

describe('estimateSize (the default byte estimator)', () => {
  it('sizes primitives', () => {
    expect(estimateSize('')).toBe(16)
    expect(estimateSize('abc')).toBe(22) // 16 + 2 per character
    expect(estimateSize(42)).toBe(8)
    expect(estimateSize(true)).toBe(4)
    expect(estimateSize(null)).toBe(4)
    expect(estimateSize(undefined)).toBe(4)
    expect(estimateSize(2n ** 200n)).toBeGreaterThan(estimateSize(1n))
  })

  it('sizes binary data by byteLength', () => {
    expect(estimateSize(Buffer.alloc(1000))).toBe(1064)
    expect(estimateSize(new Uint8Array(100))).toBe(164)
    expect(estimateSize(new Float64Array(10))).toBe(144)
    expect(estimateSize(new DataView(new ArrayBuffer(8)))).toBe(72)
    expect(estimateSize(new ArrayBuffer(10))).toBe(42)
  })

  it('sizes objects, arrays, maps and sets with their children', () => {
    expect(estimateSize({ a: 1 })).toBe(32 + 8 + 16 + 2 + 8)
    expect(estimateSize([1, 2, 3])).toBe(32 + 3 * 8 + 3 * 8)
    expect(estimateSize(new Map([['k', 1]]))).toBe(64 + 24 + 18 + 8)
    expect(estimateSize(new Set(['ab']))).toBe(64 + 24 + 20)
    const user = { id: 7, name: 'Ada Lovelace', roles: ['admin', 'dev'], avatar: Buffer.alloc(2048) }
    expect(estimateSize(user)).toBeGreaterThan(2048)
    expect(estimateSize({ text: 'x'.repeat(10_000) })).toBeGreaterThan(20_000)
  })

  it('walks a bounded number of values and extrapolates the rest', () => {
    const { rows, counted, counter } = countedRows()
    const estimate = estimateSize(counted)
    expect(counter.reads).toBeLessThanOrEqual(1000)
    // Every row is alike, so the extrapolation is the exact per-row figure times the count.
    const perRow = estimateSize({ id: 0, label: 'row' })
    expect(estimate).toBe(32 + 8 * 100_000 + perRow * 100_000)
    expect(estimateSize(rows, { maxNodes: 10 })).toBe(estimate)
  })

  it('out of budget, the rest of an object is extrapolated, but its strings and buffers are still sized exactly', () => {
    const padded = (i: number) => String(i).padStart(3, '0')
    const headers = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`header-${padded(i)}`, { value: `v${padded(i)}` }]),
    )
    const page = { headers, html: 'x'.repeat(100_000), image: Buffer.alloc(50_000) }
    // 64 values are spent inside `headers`; `html` and `image` still count in full…
    expect(estimateSize(page, { maxNodes: 64 })).toBeGreaterThan(2 * 100_000 + 50_000)
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
