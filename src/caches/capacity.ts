import type { Level } from '../pressure/levels.js'
import { checkNumber } from '../util/validate.js'

/**
 * `multiplier × reference` rounded down, except that a multiplier above 0 on a reference above
 * 0 keeps at least 1. The small relative nudge absorbs float error: 0.29 × 100 is
 * 28.999999999999996 in binary floating point, and must give 29.
 */
export function capacityFor(multiplier: number, reference: number): number {
  if (multiplier <= 0 || reference <= 0) return 0
  if (reference === Infinity) return Infinity
  const exact = multiplier * reference
  return Math.max(1, Math.floor(exact + exact * 1e-12 + 1e-9))
}

/**
 * Whether a resize is "under pressure" (docs/caches.md: the reference freezes when the level leaves
 * `normal`). The registry passes the level; a direct `resize(multiplier)` call without one counts
 * as pressure when the multiplier is below 1.
 */
export function isPressure(multiplier: number, level: Level | undefined): boolean {
  return level === undefined ? multiplier < 1 : level !== 'normal'
}

/** Checks a `resize()` argument: a finite number in 0..1. */
export function checkMultiplier(where: string, multiplier: unknown): number {
  return checkNumber(where, 'argument `multiplier`', multiplier, { min: 0, max: 1 })
}

/** Checks the regrowth progress of a `resize()`: undefined (regrown) or a finite number in 0..1. */
export function checkProgress(where: string, progress: unknown): number {
  return progress === undefined ? 1 : checkNumber(where, 'argument `progress`', progress, { min: 0, max: 1 })
}

/**
 * The "caches do not grow under pressure" rule for one quantity (entries or bytes), and the
 * capacity it gives. At `normal` the reference is the configured maximum; when pressure begins
 * it becomes the smaller of the maximum and what is held at that moment, and stays so until
 * pressure is over. The capacity is `multiplier × reference` (see `capacityFor`).
 *
 * When pressure ends, the capacity does not jump back: it regrows from what pressure left it to
 * `multiplier × max` as the registry's `progress` goes from 0 to 1 over `regrowMs` (the curve is
 * `regrownCapacity` below). Pressure during regrowth freezes the reference at what is held, as at
 * any onset.
 */
export class Capacity {
  readonly max: number
  #reference: number
  #frozen = false
  #value: number
  /** The capacity pressure left, while regrowing; null when not regrowing. */
  #regrowFrom: number | null = null

  constructor(max: number) {
    this.max = max
    this.#reference = max
    this.#value = max
  }

  /** The capacity of the last resize (`max` before the first). */
  get value(): number {
    return this.#value
  }

  /**
   * The capacity for a resize to `multiplier`: under pressure (see `isPressure`) against the
   * frozen reference, else against `max`, `progress` (0..1) of the way back from what pressure
   * left when pressure has just ended. `held` is read only when pressure begins.
   */
  resize(multiplier: number, pressure: boolean, held: () => number, progress = 1): number {
    if (pressure) {
      if (!this.#frozen) {
        this.#frozen = true
        this.#reference = Math.min(this.max, held())
      }
      this.#regrowFrom = null
      return (this.#value = capacityFor(multiplier, this.#reference))
    }
    if (this.#frozen) {
      this.#frozen = false
      this.#reference = this.max
      this.#regrowFrom = this.#value
    }
    const target = capacityFor(multiplier, this.max)
    const from = this.#regrowFrom
    if (from === null || progress >= 1 || from >= target) {
      this.#regrowFrom = null
      return (this.#value = target)
    }
    return (this.#value = regrownCapacity(from, target, progress))
  }
}

/**
 * How a cache grows back after pressure (contract §8): the capacity `progress` (0..1, the share
 * of `regrowMs` elapsed) of the way from `from`, what pressure left it, to `target`, its full
 * capacity: a straight line, rounded down, never below `from` nor above `target`.
 *
 * Chosen by measurement (BENCHMARKS.md, the regrowth benchmark): against a slow start (the
 * growth doubling from 1 entry) and a doubling of the capacity itself, the straight line
 * oscillated least in the squeeze and kept the hot-set hit ratio of an immediate restore. A curve
 * that stays near what pressure left lets the next onset freeze the reference lower each time
 * (the reference rule), and the smaller cache then recovers and regrows again: more cycles.
 */
function regrownCapacity(from: number, target: number, progress: number): number {
  if (progress >= 1 || from >= target || target === Infinity) return target
  return Math.min(target, Math.max(from, Math.floor(from + (target - from) * progress)))
}

/**
 * The room a cache gave back to reservations and may not refill while they hold it. When the
 * first claim comes, the cache's base is what it held before giving (bounded later by its level
 * capacity); each claim adds the entries (and bytes) it took. While any is held, the cache may
 * hold at most `base − held` (at least 1 entry, so a claim never disables a cache: only a
 * multiplier of 0 does). When the last claim is released, the level's capacity applies alone.
 */
export class HeldRoom {
  #claims = 0
  #entries = 0
  #bytes = 0
  #baseEntries = 0
  #baseBytes = 0

  /** A claim of `entries` (and `bytes`), taken from a cache that now holds `size` entries and `calculatedSize` bytes. */
  add(entries: number, bytes: number, size: number, calculatedSize: number): void {
    if (this.#claims === 0) {
      this.#baseEntries = size + entries
      this.#baseBytes = calculatedSize + bytes
    }
    this.#claims++
    this.#entries += entries
    this.#bytes += bytes
  }

  remove(entries: number, bytes: number): void {
    if (this.#claims === 0) return
    if (--this.#claims === 0) {
      this.#entries = this.#bytes = 0
      return
    }
    this.#entries -= entries
    this.#bytes -= bytes
  }

  /** The entry capacity, given the level's. */
  entryCapacity(level: number): number {
    if (this.#claims === 0 || level === 0) return level
    return Math.min(level, Math.max(1, this.#baseEntries - this.#entries))
  }

  /** The byte capacity, given the level's. */
  byteCapacity(level: number): number {
    if (this.#claims === 0 || level === 0) return level
    return Math.min(level, Math.max(1, this.#baseBytes - this.#bytes))
  }
}
