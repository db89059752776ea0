/** Bytes by kind of memory at one moment, from the controller's readings. */
export interface MemoryReading {
  /** The V8 heap's used bytes (the controller's `heap` source). */
  heap: number
  /** The bytes V8 has committed for its heap (`process.memoryUsage().heapTotal`): resident memory counts these, not `heap`. */
  heapCommitted: number
  /** Buffers, ArrayBuffers and other memory V8 objects hold outside the heap (`process.memoryUsage().external`). */
  external: number
  /** Resident memory of the process. */
  rss: number
  /** Bytes all managed caches hold (a part of the heap). */
  caches: number
}

/** Growth per kind of memory, bytes per second. */
export interface MemoryGrowth {
  heap: number
  external: number
  /** Resident memory less the heap V8 has committed and external: native addons, malloc, code, thread stacks. */
  native: number
  /** The managed caches' bytes (a part of `heap`). */
  caches: number
}

export type GrowingMemory = keyof MemoryGrowth | 'none'

/** Below this, memory counts as flat (the trend's rule: 1 KiB/s is 3.5 MiB an hour). */
export const FLAT_BYTES_PER_SECOND = 1024

export const NO_GROWTH: Readonly<MemoryGrowth> = Object.freeze({ heap: 0, external: 0, native: 0, caches: 0 })

/** Growth between two readings `seconds` apart. */
export function growthBetween(from: MemoryReading, to: MemoryReading, seconds: number): MemoryGrowth {
  if (!(seconds > 0)) return { ...NO_GROWTH }
  const rate = (a: number, b: number): number => (Number.isFinite(a) && Number.isFinite(b) ? (b - a) / seconds : 0)
  const native = (r: MemoryReading): number => r.rss - r.heapCommitted - r.external
  return {
    heap: rate(from.heap, to.heap),
    external: rate(from.external, to.external),
    native: rate(native(from), native(to)),
    caches: rate(from.caches, to.caches),
  }
}

/**
 * Which memory grows most. The caches are a part of the heap: they are named when they account for
 * most of the heap's growth, and the heap otherwise (its growth less theirs is what is compared).
 */
export function growsMost(growth: MemoryGrowth): GrowingMemory {
  const candidates: [GrowingMemory, number][] = [
    ['heap', growth.heap - Math.max(0, growth.caches)],
    ['caches', growth.caches],
    ['external', growth.external],
    ['native', growth.native],
  ]
  let best: GrowingMemory = 'none'
  let most = FLAT_BYTES_PER_SECOND
  for (const [kind, rate] of candidates) {
    if (rate > most) {
      best = kind
      most = rate
    }
  }
  return best
}
