import { RingBuffer } from './ring-buffer.js'

/**
 * The leak signal: the heap left after each major GC (the floor) and its growth. Read when it is
 * asked for, by the controller's clock (`now`), so that it ages instead of freezing when major
 * GCs stop (an idle server may run none for hours):
 *
 * - Window: only floors from the last 10 minutes count. Older ones are dropped, so a projection
 *   ages out; with fewer than 3 floors left there is no fit.
 * - Cap: the floor cannot have grown faster than the heap itself. The latest reading of the heap
 *   source (every sample, not only GC-triggered ones), taken at least 1 s after the last floor,
 *   bounds the growth at (heap used then − last floor) / time between them; the growth is the
 *   smaller of the least-squares fit and that bound. So after a burst, an idle heap with no major
 *   GC reads as no growth as soon as its polls show it flat, and a slow drift reads as a slow drift.
 * - With no fit (the floors aged out, or too few), a bound of at most 1 KiB/s still says "flat";
 *   a larger one alone says nothing (`growthBytesPerSec` null).
 * - `msToLimit` counts down from now: the floor is projected from the last one at the growth rate.
 */
export interface Trend {
  /** Heap used right after the last major GC (bytes), or null before the first one. Kept however old it is. */
  floor: number | null
  /**
   * Growth of the post-GC floor, bytes per second: the least-squares slope over the floors of the
   * last 10 minutes, capped by the heap's own growth since the last floor (see above). Null when
   * unknown. At most 1 KiB/s counts as flat.
   */
  growthBytesPerSec: number | null
  /** Time from now until the floor reaches the limit at this rate (ms); null when flat, falling or unknown. */
  msToLimit: number | null
  /** Post-GC floors inside the 10-minute window (those the fit uses). */
  points: number
}

/** A reading of the heap source at a time (ms, controller clock). */
export interface HeapReading {
  at: number
  used: number
}

interface FloorPoint extends HeapReading {
  limit: number
}

/** Growth below this counts as flat: 1 KiB/s is 3.5 MiB an hour, noise for a server heap. */
const FLAT_BYTES_PER_SEC = 1024
const MIN_POINTS = 3
/** Points spanning less time than this say nothing about a trend; nor does a reading closer than this to the last floor. */
const MIN_SPAN_MS = 1000
/** Floors older than this are dropped from the estimate. */
export const TREND_WINDOW_MS = 10 * 60_000

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

  /** The trend at `now`, given the latest reading of the heap source (if any). */
  estimate(now: number, latest?: HeapReading): Trend {
    const all = this.#points.toArray()
    const last = all[all.length - 1]
    if (last === undefined) return { floor: null, growthBytesPerSec: null, msToLimit: null, points: 0 }
    const points = all.filter((p) => now - p.at <= TREND_WINDOW_MS)
    const bound =
      latest !== undefined && latest.at - last.at >= MIN_SPAN_MS
        ? (latest.used - last.used) / ((latest.at - last.at) / 1000)
        : null
    const fit = slope(points)
    let growth: number | null
    if (fit !== null) growth = bound === null ? fit : Math.min(fit, bound)
    else growth = bound !== null && bound <= FLAT_BYTES_PER_SEC ? bound : null
    let msToLimit: number | null = null
    if (growth !== null && growth > FLAT_BYTES_PER_SEC) {
      const floorNow = last.used + (growth * Math.max(0, now - last.at)) / 1000
      msToLimit = Math.max(0, ((last.limit - floorNow) / growth) * 1000)
    }
    return { floor: last.used, growthBytesPerSec: growth, msToLimit, points: points.length }
  }
}

/** Least-squares slope of used over time (bytes a second), or null with too few points or too short a span. */
function slope(points: readonly FloorPoint[]): number | null {
  if (points.length < MIN_POINTS || points[points.length - 1]!.at - points[0]!.at < MIN_SPAN_MS) return null
  // Centred for numerical stability.
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
  return varT === 0 ? 0 : cov / varT
}
