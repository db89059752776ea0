import type { Level } from '../pressure/levels.js'
import { checkNumber } from '../util/validate.js'
import { regrownCapacity } from './regrowth-curve.js'

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
 * in regrowth-curve.ts). Pressure during regrowth freezes the reference at what is held, as at
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

  /** True while growing back after pressure. */
  get regrowing(): boolean {
    return this.#regrowFrom !== null
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
