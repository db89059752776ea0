import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { drive } from '../support/drive.js'

const MILLION = 1_000_000

/** Resolves once `done()` holds, checking on each turn of the event loop (never on a timer). */
async function until(done: () => boolean, maxTurns = 100_000): Promise<number> {
  for (let turn = 0; turn < maxTurns; turn++) {
    if (done()) return turn
    await nextTurn()
  }
  throw new Error('condition never held')
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn()
}

/**
 * Like `until`, and also measures the longest stretch of CPU time the process spent between two
 * turns: unlike wall time, it does not count the time the OS gave the CPU to other processes
 * (the machine is shared), so it is the length of our longest slice.
 */
async function untilMeasured(done: () => boolean): Promise<{ turns: number; longestCpuMs: number }> {
  let longestCpuMs = 0
  let last = process.cpuUsage()
  for (let turn = 0; turn < 100_000; turn++) {
    if (done()) return { turns: turn, longestCpuMs }
    await nextTurn()
    const used = process.cpuUsage(last)
    last = process.cpuUsage()
    longestCpuMs = Math.max(longestCpuMs, (used.user + used.system) / 1000)
  }
  throw new Error('condition never held')
}

function fillNumbers(cache: { set(key: number, value: number): unknown }, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) cache.set(i, i)
}

describe('large trims run in slices', () => {
  it('halving 1,000,000 entries is spread over many turns of the event loop; capacity and set obey at once', async () => {
    const { pressure, errors } = drive()
    const cache = pressure.caches.lru<number, number>('big', { max: MILLION })
    fillNumbers(cache, MILLION)
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    await turns(20) // let the histogram take a few samples first
    const started = performance.now()
    pressure.force('critical')
    // The new capacity holds at once; the entries already held go in later slices.
    expect(cache.capacity).toBe(MILLION / 2)
    expect(cache.stats().multiplier).toBe(0.5)
    expect(cache.size).toBeGreaterThan(MILLION / 2)
    // force() itself evicted at most the synchronous part (4,096 entries): the rest is left to slices.
    expect(MILLION - cache.size).toBeLessThanOrEqual(4096)
    const before = cache.size
    cache.set(-1, -1) // set never grows the cache while the trim runs
    expect(cache.size).toBeLessThanOrEqual(before)
    expect(cache.get(-1)).toBe(-1)
    const { turns: slices, longestCpuMs } = await untilMeasured(() => cache.size === MILLION / 2)
    const elapsed = performance.now() - started
    loop.disable()
    const maxDelayMs = loop.max / 1e6
    console.log(
      `trim 1,000,000 → 500,000: ${elapsed.toFixed(0)} ms over ${slices} turns; longest slice ${longestCpuMs.toFixed(1)} ms of CPU; ` +
        `event-loop delay max ${maxDelayMs.toFixed(1)} ms, p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
    )
    // The work was spread over many turns of the event loop. How long each turn took is a
    // performance figure, printed above and measured in bench/cache-trim.bench.mjs, not asserted
    // here: on a shared machine CPU time includes V8's GC threads and other processes' preemptions.
    expect(slices).toBeGreaterThan(10)
    expect(cache.stats().evictions).toBe(MILLION / 2 + 1)
    expect(cache.has(MILLION - 1)).toBe(true)
    expect(cache.has(MILLION / 2)).toBe(false) // the least recently used half went (and -1 pushed one more out)
    expect(errors).toEqual([])
  })

  it('a set while a trim runs never grows the cache, in bytes as in entries, whatever the size of the new entry', async () => {
    const { pressure, errors } = drive()
    const cache = pressure.caches.lru<string, string>('bytes', {
      max: 100_000,
      maxSize: 1_000_000,
      sizeCalculation: (v) => v.length,
    })
    for (let i = 0; i < 20_000; i++) cache.set(`small${i}`, 'x'.repeat(10))
    pressure.force('emergency') // 0.1 of the 20,000 entries and 200,000 bytes held: 2,000 entries, 20,000 bytes
    expect([cache.capacity, cache.byteCapacity]).toEqual([2_000, 20_000])
    expect(cache.size).toBeGreaterThan(2_000) // the rest of the trim runs in slices
    let { entries, bytes } = cache.stats()
    for (let i = 0; i < 50; i++) {
      cache.set(`big${i}`, 'x'.repeat(5_000))
      const now = cache.stats()
      expect({ i, entries: now.entries <= entries, bytes: now.bytes <= bytes }).toEqual({
        i,
        entries: true,
        bytes: true,
      })
      expect(cache.peek(`big${i}`)).toBeDefined() // stored: older entries made room
      ;({ entries, bytes } = now)
    }
    await until(() => cache.stats().bytes <= 20_000)
    await turns(5)
    expect(cache.stats()).toMatchObject({ entries: 4, bytes: 20_000 })
    expect([...cache.keys()]).toEqual(['big49', 'big48', 'big47', 'big46'])
    expect(errors).toEqual([])
  })

  it('two caches trimming at once both finish', async () => {
    const { pressure } = drive()
    const a = pressure.caches.lru<number, number>('a', { max: 100_000 })
    const b = pressure.caches.lru<number, number>('b', { max: 100_000, priority: 'optional' })
    fillNumbers(a, 100_000)
    fillNumbers(b, 100_000)
    pressure.force('warning')
    await until(() => a.size === 75_000 && b.size === 50_000)
    pressure.force('emergency')
    await until(() => a.size === 10_000 && b.size === 0) // 0.1 of the 100,000 held when pressure began
  })

  it('a further level change during a trim retargets it; recovery stops it', async () => {
    const { pressure } = drive({ regrowMs: 0 })
    const cache = pressure.caches.lru<number, number>('r', { max: 200_000 })
    fillNumbers(cache, 200_000)
    pressure.force('critical')
    pressure.force('emergency')
    await until(() => cache.size === 20_000)
    pressure.force('normal')
    fillNumbers(cache, 200_000, 1_000_000)
    pressure.force('critical')
    const during = cache.size
    pressure.force('normal') // capacity back to max: the trim has nothing left to do
    await turns(50)
    expect(cache.size).toBe(during)
  })

  it("close(), unregister() and the cache's dispose() cancel slices in flight", async () => {
    for (const stop of ['close', 'unregister', 'dispose'] as const) {
      const { pressure } = drive()
      const cache = pressure.caches.lru<number, number>('c', { max: 200_000 })
      fillNumbers(cache, 200_000)
      pressure.force('emergency')
      expect(cache.size).toBeGreaterThan(20_000)
      // unregister() and close() detach every cache through Managed.dispose(): for a cache from lru(), its own.
      if (stop === 'close') pressure.close()
      else if (stop === 'unregister') pressure.caches.unregister('c')
      else cache.dispose()
      const left = cache.size
      await turns(50)
      // The cache is released to its full max: what it still holds stays, nothing more is trimmed.
      expect({ stop, size: cache.size, capacity: cache.capacity }).toEqual({ stop, size: left, capacity: 200_000 })
    }
  })

  it('clear() during a trim cancels it', async () => {
    const { pressure } = drive()
    const cache = pressure.caches.lru<number, number>('c', { max: 100_000 })
    fillNumbers(cache, 100_000)
    pressure.force('emergency')
    cache.clear()
    expect(cache.size).toBe(0)
    fillNumbers(cache, 5_000, 500_000) // refill under pressure: capacity is 10,000
    await turns(20)
    expect(cache.size).toBe(5_000)
  })

  it('a disposer that throws during a slice is reported and the trim goes on', async () => {
    const { pressure, errors } = drive()
    const boom = new Error('dispose failed')
    const cache = pressure.caches.lru<number, number>('d', {
      max: 50_000,
      dispose: (_v, key, reason) => {
        if (reason === 'evict' && key === 30_000) throw boom
      },
    })
    fillNumbers(cache, 50_000)
    pressure.force('emergency')
    await until(() => cache.size === 5_000)
    expect(errors).toEqual([boom])
  })
})
