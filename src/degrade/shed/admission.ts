import { LEVELS, type Level } from '../../pressure/levels.js'
import { checkOneOf, checkOptions, describe } from '../../util/validate.js'
import { PRIORITIES, priorityRank, type Priority } from './priority.js'

/**
 * What one level admits: a minimum priority (`'normal'` = critical, high and normal) or the
 * exact list of admitted priorities. `critical` is always admitted, so a list must name it.
 */
export type AdmissionRule = Priority | readonly Priority[]

/** Admission rules per level, merged over {@link DEFAULT_ADMISSION}. */
export type AdmissionOptions = Partial<Record<Level, AdmissionRule>>

/** For each level, whether each priority is admitted. Precomputed so a check is one property read. */
export type AdmissionTable = Readonly<Record<Level, Readonly<Record<Priority, boolean>>>>

/**
 * The default: `normal` and `warning` admit everything, `critical` refuses `low`,
 * `emergency` admits only `critical`.
 */
export const DEFAULT_ADMISSION: Readonly<Record<Level, readonly Priority[]>> = Object.freeze({
  normal: PRIORITIES,
  warning: PRIORITIES,
  critical: Object.freeze(['critical', 'high', 'normal'] as const),
  emergency: Object.freeze(['critical'] as const),
})

const RULE_TEXT = `a priority (${PRIORITIES.map((p) => `'${p}'`).join(', ')}) or an array of them`

function admittedBy(where: string, path: string, rule: unknown): Set<Priority> {
  const name = `option \`${path}\``
  if (typeof rule === 'string') {
    const min = priorityRank(checkOneOf(where, name, rule, PRIORITIES))
    return new Set(PRIORITIES.filter((p) => priorityRank(p) <= min))
  }
  if (!Array.isArray(rule)) throw new TypeError(`${where}: ${name} must be ${RULE_TEXT}, got ${describe(rule)}`)
  const set = new Set<Priority>()
  rule.forEach((p: unknown, i) => {
    const priority = checkOneOf(where, `option \`${path}[${i}]\``, p, PRIORITIES)
    if (set.has(priority)) throw new RangeError(`${where}: ${name} lists '${priority}' twice`)
    set.add(priority)
  })
  if (!set.has('critical')) {
    throw new RangeError(
      `${where}: ${name} must include 'critical' (critical work is never shed), got [${rule.map((p) => `'${p}'`).join(', ')}]`,
    )
  }
  return set
}

/**
 * Validates `shed.admission` and merges it over the defaults. A higher level may not admit a
 * priority that a lower level refuses: rising pressure must never let more work in.
 */
export function resolveAdmission(where: string, value: unknown): AdmissionTable {
  const partial = checkOptions<AdmissionOptions>(where, 'option `shed.admission`', value, LEVELS)
  const sets = {} as Record<Level, Set<Priority>>
  for (const level of LEVELS) {
    const rule = partial[level]
    sets[level] =
      rule === undefined ? new Set(DEFAULT_ADMISSION[level]) : admittedBy(where, `shed.admission.${level}`, rule)
  }
  for (let i = 1; i < LEVELS.length; i++) {
    const lower = LEVELS[i - 1]!
    const higher = LEVELS[i]!
    for (const p of sets[higher]) {
      if (!sets[lower].has(p)) {
        throw new RangeError(
          `${where}: option \`shed.admission\`: level '${higher}' admits '${p}' but the lower level '${lower}' refuses it; ` +
            'a higher level must not admit more than a lower one',
        )
      }
    }
  }
  const table = {} as Record<Level, Readonly<Record<Priority, boolean>>>
  for (const level of LEVELS) {
    const row = {} as Record<Priority, boolean>
    for (const p of PRIORITIES) row[p] = sets[level].has(p)
    table[level] = Object.freeze(row)
  }
  return Object.freeze(table)
}
