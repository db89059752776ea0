import { RingBuffer } from './ring-buffer.js'

export interface Trend {
  /** Heap used right after the last major GC (bytes), or null before the first one. */
  floor: number | null
  /** Growth of the post-GC floor, bytes per second (least squares over the kept points); null with too few points. */
  growthBytesPerSec: number | null
  /** Time until the floor reaches the limit at this rate (ms); null when flat, falling or unknown. */
  msToLimit: number | null
  /** Post-GC floor points kept for the estimate. */
  points: number
}

interface FloorPoint {
  at: number
  used: number
  limit: number
}

/** Growth below this counts as flat: 1 KiB/s is 3.5 MiB an hour, noise for a server heap. */
const FLAT_BYTES_PER_SEC = 1024
const MIN_POINTS = 3
/** Points spanning less time than this say nothing about a trend. */
const MIN_SPAN_MS = 1000

/**
 * A leak signal that levels miss: the heap left after each major GC (live data plus whatever
 * leaks) is the floor; a floor that keeps rising means a leak, long before the ratio says so.
 */
export class FloorTrend {
  readonly #points: RingBuffer<FloorPoint>

  constructor(size = 32) {
    this.#points = new RingBuffer(size)
  }

  record(at: number, used: number, limit: number): void {
    this.#points.push({ at, used, limit })
  }

  clear(): void {
    this.#points.clear()
  }

  estimate(): Trend {
    const points = this.#points.toArray()
    const last = points[points.length - 1]
    const none: Trend = { floor: last?.used ?? null, growthBytesPerSec: null, msToLimit: null, points: points.length }
    if (last === undefined || points.length < MIN_POINTS) return none
    const first = points[0]!
    if (last.at - first.at < MIN_SPAN_MS) return none
    // Least squares slope of used over time (seconds), centred for numerical stability.
    let meanT = 0
    let meanU = 0
    for (const p of points) {
      meanT += p.at
      meanU += p.used
    }
    meanT /= points.length
    meanU /= points.length
    let cov = 0
    let varT = 0
    for (const p of points) {
      const dt = (p.at - meanT) / 1000
      cov += dt * (p.used - meanU)
      varT += dt * dt
    }
    const slope = varT === 0 ? 0 : cov / varT
    const msToLimit = slope > FLAT_BYTES_PER_SEC ? Math.max(0, ((last.limit - last.used) / slope) * 1000) : null
    return { floor: last.used, growthBytesPerSec: slope, msToLimit, points: points.length }
  }
}
