import { describe, expect, it, vi } from 'vitest'
import { drive } from '../../support/drive.js'
import { inBatches, type BatchRequest } from '../../../src/index.js'

/** A table of `n` rows and a loader that records what it was asked for. */
function table(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ id: i + 1 }))
  const requests: Omit<BatchRequest<{ id: number }>, 'signal'>[] = []
  const load = async (req: BatchRequest<{ id: number }>) => {
    const { signal: _, ...rest } = req
    requests.push(rest)
    return rows.slice(req.offset, req.offset + req.limit)
  }
  return { rows, requests, load }
}

async function collect<T>(it: AsyncIterable<T[]>): Promise<T[][]> {
  const pages: T[][] = []
  for await (const page of it) pages.push(page)
  return pages
}

describe('inBatches', () => {
  it('pages through a source and stops on a short page, without asking for more', async () => {
    const { requests, load } = table(1050)
    const pages = await collect(inBatches(load, { batchSize: 500 }))
    expect(pages.map((p) => p.length)).toEqual([500, 500, 50])
    expect(pages.flat().map((r) => r.id)).toEqual(Array.from({ length: 1050 }, (_, i) => i + 1))
    expect(requests.map((r) => [r.offset, r.limit, r.skip, r.take])).toEqual([
      [0, 500, 0, 500],
      [500, 500, 500, 500],
      [1000, 500, 1000, 500],
    ])
  })

  it('stops on an empty page when the size divides the source exactly', async () => {
    const { requests, load } = table(1000)
    const pages = await collect(inBatches(load, { batchSize: 500 }))
    expect(pages.map((p) => p.length)).toEqual([500, 500])
    expect(requests).toHaveLength(3)
    expect(await collect(inBatches(table(0).load, { batchSize: 10 }))).toEqual([])
  })

  it('gives the last item of the previous page, for keyset pagination', async () => {
    const { rows } = table(25)
    const seen: ({ id: number } | undefined)[] = []
    const pages = await collect(
      inBatches<{ id: number }>(
        ({ last, limit }) => {
          seen.push(last)
          const after = last?.id ?? 0
          return rows.filter((r) => r.id > after).slice(0, limit)
        },
        { batchSize: 10 },
      ),
    )
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5])
    expect(seen).toEqual([undefined, { id: 10 }, { id: 20 }])
  })

  it('reads a scaled batch size before each page, so batches shrink as pressure rises', async () => {
    const { pressure } = drive()
    const batchSize = pressure.limits.scale({ normal: 100, warning: 40, critical: 10 })
    const { requests, load } = table(1000)
    const sizes: number[] = []
    for await (const page of pressure.limits.inBatches(load, { batchSize })) {
      sizes.push(page.length)
      if (sizes.length === 1) pressure.force('warning')
      if (sizes.length === 2) pressure.force('critical')
      if (sizes.length === 3) break
    }
    expect(sizes).toEqual([100, 40, 10])
    expect(requests.map((r) => r.offset)).toEqual([0, 100, 140])
    pressure.close()
  })

  it('rounds a fractional scaled size down, with at least 1', async () => {
    const { requests, load } = table(5)
    await collect(inBatches(load, { batchSize: { value: 2.7 } }))
    expect(requests[0]!.limit).toBe(2)
  })

  it('stops before the next page when the signal aborts, and passes the signal to the loader', async () => {
    const abort = new AbortController()
    const { load } = table(100)
    const signals: (AbortSignal | undefined)[] = []
    const it = inBatches<{ id: number }>(
      (req) => {
        signals.push(req.signal)
        return load(req)
      },
      { batchSize: 10, signal: abort.signal },
    )
    const pages: unknown[] = []
    await expect(
      (async () => {
        for await (const page of it) {
          pages.push(page)
          abort.abort(new Error('shutting down'))
        }
      })(),
    ).rejects.toThrow('shutting down')
    expect(pages).toHaveLength(1)
    expect(signals).toEqual([abort.signal])
  })

  it('lets a loader error through, and refuses a loader that returns no array', async () => {
    await expect(collect(inBatches(() => Promise.reject(new Error('db down')), { batchSize: 10 }))).rejects.toThrow(
      'db down',
    )
    await expect(collect(inBatches(() => ({ rows: [] }) as never, { batchSize: 10 }))).rejects.toThrow(
      new TypeError('inBatches: loadPage must return an array (or a promise of one), got an object for offset 0'),
    )
  })

  it('loads nothing until iterated, and only one page at a time', async () => {
    const load = vi.fn(async () => [1, 2])
    const it = inBatches(load, { batchSize: 2 })
    expect(load).not.toHaveBeenCalled()
    await it.next()
    expect(load).toHaveBeenCalledTimes(1)
    await it.return(undefined)
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('checks its arguments at the call, with messages naming them', () => {
    const load = async () => []
    expect(() => inBatches('load' as never, { batchSize: 10 })).toThrow(
      new TypeError('inBatches: argument `loadPage` must be a function, got "load" (string)'),
    )
    expect(() => inBatches(load, undefined as never)).toThrow(TypeError)
    expect(() => inBatches(load, {} as never)).toThrow(
      new TypeError(
        'inBatches: option `batchSize` must be a number or a scaled value (pressure.limits.scale(...)), got undefined (undefined)',
      ),
    )
    expect(() => inBatches(load, { batchSize: 0 })).toThrow(
      new RangeError('inBatches: option `batchSize` must be a finite number >= 1, got 0 (number)'),
    )
    expect(() => inBatches(load, { batchSize: NaN })).toThrow(RangeError)
    expect(() => inBatches(load, { batchSize: 10, size: 5 } as never)).toThrow(
      new TypeError('inBatches: unknown option `size` (known: batchSize, signal)'),
    )
    expect(() => inBatches(load, { batchSize: 10, signal: 'x' as never })).toThrow(TypeError)
  })
})
