import type { ControllerCore } from '../../pressure/core.js'
import { LEVELS, type Level } from '../../pressure/levels.js'
import { checkNumber, checkOneOf, checkOptions, describe, type NumberRule } from '../../util/validate.js'
import { warnOnce } from '../../util/warn-once.js'

/** A number per level; `normal` is required, a missing level takes the value of the level below it. */
export type LevelValues = { normal: number; warning?: number; critical?: number; emergency?: number }

/** Anything with a current numeric `value`: a `ScaledValue`, or your own. */
export interface Scaled {
  readonly value: number
}

/** A fixed number, or a scaled value read at the moment it is used. */
export type Scalable = number | Scaled

/**
 * A number that depends on the controller's effective level: a page size, a batch size, a
 * timeout, a concurrency. `value` is read at the moment of use, so it follows the level (and
 * its hysteresis, staged recovery and `force()`) without any listener. Created by
 * `pressure.limits.scale()`.
 */
export interface ScaledValue extends Scaled {
  /** The value for the effective level now. */
  readonly value: number
  /** The value for `level`. */
  at(level: Level): number
  /** The whole table, every level filled in. */
  values(): Record<Level, number>
  toJSON(): Record<Level, number>
}

/** A `ScaledValue` of a controller's table, read at the level the controller applies. */
export class LevelScaledValue implements ScaledValue {
  readonly #core: ControllerCore
  readonly #values: Readonly<Record<Level, number>>

  constructor(core: ControllerCore, values: Readonly<Record<Level, number>>) {
    this.#core = core
    this.#values = values
  }

  get value(): number {
    return this.#values[this.#core.level]
  }

  at(level: Level): number {
    return this.#values[checkOneOf('scaledValue.at', 'argument `level`', level, LEVELS)]
  }

  values(): Record<Level, number> {
    return { ...this.#values }
  }

  toJSON(): Record<Level, number> {
    return this.values()
  }
}

/**
 * Validates a `LevelValues` table and fills the missing levels from the level below. A table
 * whose values grow with the level is accepted, with a warning (once per table): a scaled limit
 * should tighten under pressure, and growing is usually a mistake (unless it is a delay).
 */
export function resolveLevelValues(where: string, input: unknown): Readonly<Record<Level, number>> {
  if (input === undefined)
    throw new TypeError(
      `${where}: argument \`values\` must be an object such as { normal: 100, critical: 20 }, got undefined`,
    )
  const given = checkOptions<LevelValues>(where, 'argument `values`', input, LEVELS)
  const table = {} as Record<Level, number>
  let previous: number | undefined
  for (const level of LEVELS) {
    const value = given[level]
    if (value === undefined && previous !== undefined) {
      table[level] = previous
      continue
    }
    // `normal` has nothing below it to inherit from, so it is required (checkNumber rejects undefined).
    previous = table[level] = checkNumber(where, `argument \`values.${level}\``, value)
  }
  warnIfGrowing(where, table)
  return Object.freeze(table)
}

/** Warns (once per table, code HEAPGUARD_SCALE_GROWS) when a level's value is above the value of the level below it. */
function warnIfGrowing(where: string, table: Readonly<Record<Level, number>>): void {
  for (let i = 1; i < LEVELS.length; i++) {
    const lower = LEVELS[i - 1]!
    const level = LEVELS[i]!
    if (table[level] <= table[lower]) continue
    warnOnce(
      'HEAPGUARD_SCALE_GROWS',
      `${where}: argument \`values\` grows with pressure (${level} ${table[level]} > ${lower} ${table[lower]}): a scaled limit should tighten as the level rises; if growing is meant (a delay, a backoff), ignore this warning`,
      LEVELS.map((l) => table[l]).join(','),
    )
    return
  }
}

/**
 * Reads a `Scalable` now: a number as it is, a scaled value through its `value`. Both are
 * checked against `rule`; the message says which it was.
 */
export function readScalable(where: string, name: string, input: unknown, rule: NumberRule): number {
  if (typeof input === 'number') return checkNumber(where, name, input, rule)
  if (input !== null && typeof input === 'object' && 'value' in input) {
    return checkNumber(where, `the current value of ${name}`, (input as Scaled).value, rule)
  }
  throw new TypeError(
    `${where}: ${name} must be a number or a scaled value (pressure.limits.scale(...)), got ${describe(input)}`,
  )
}

/** A count read from a `Scalable`: at least `min`, fractional values rounded down. */
export function readCount(where: string, name: string, input: unknown, min: number): number {
  return Math.floor(readScalable(where, name, input, { min }))
}
