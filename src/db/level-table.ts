import type { LevelValues } from '../degrade/limits/scaled-value.js'
import { LEVELS, type Level } from '../pressure/levels.js'
import { checkNumber, checkOptions, describe } from '../util/validate.js'

/** A whole number for every level, or one for all of them. */
export type LevelTable = number | LevelValues

/**
 * Checks a per-level count of a database adapter (the rows a read may return, the clients a pool
 * may open) and fills it in: a whole number ≥ `min` for all levels, or a table whose `normal` is
 * required and whose missing levels take the value of the level below (as `limits.scale` does).
 * Unlike `limits.scale`, a table that grows with pressure is an error, not a warning: a cap that
 * loosens as memory runs out is never what was meant.
 */
export function resolveLevelTable(
  where: string,
  name: string,
  input: unknown,
  min: number,
  example: string,
): LevelValues & Record<Level, number> {
  const rule = { integer: true, min }
  if (typeof input === 'number') {
    const value = checkNumber(where, `option \`${name}\``, input, rule)
    return { normal: value, warning: value, critical: value, emergency: value }
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError(
      `${where}: option \`${name}\` must be a whole number or a table by level such as ${example}, got ${describe(input)}`,
    )
  }
  const given = checkOptions<LevelValues>(where, `option \`${name}\``, input, LEVELS)
  const table = {} as Record<Level, number>
  let below: Level | undefined
  for (const level of LEVELS) {
    const value = given[level]
    if (value === undefined && below !== undefined) {
      table[level] = table[below]
      continue
    }
    table[level] = checkNumber(where, `option \`${name}.${level}\``, value, rule)
    if (below !== undefined && table[level] > table[below]) {
      throw new RangeError(
        `${where}: option \`${name}\` must not grow with pressure: \`${name}.${level}\` is ${table[level]}, above \`${name}.${below}\` ${table[below]}`,
      )
    }
    below = level
  }
  return table
}
