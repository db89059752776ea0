import { LEVELS } from '../../pressure/levels.js'
import type { Thresholds } from '../../pressure/types.js'
import type { AdmissionTable } from '../shed/admission.js'
import { PRIORITIES, type Priority } from '../shed/priority.js'

/** For each priority, the ratio a reservation of that priority must stay below. */
export type ReservationLines = Readonly<Record<Priority, number>>

/** Critical work is refused only when it would take the source past its whole limit. */
const NEVER_REFUSED_LINE = 1

/**
 * The line of a priority is the threshold of the lowest level at which the admission table
 * refuses it: with the defaults `low` 0.85 (refused from `critical`), `normal` and `high` 0.95
 * (from `emergency`), `critical` 1.0 (never refused by the table). A custom table moves the lines
 * with it; a priority refused even at `normal` has the line 0 (every reservation refused).
 * Computed once, at construction.
 */
export function reservationLines(admission: AdmissionTable, thresholds: Readonly<Thresholds>): ReservationLines {
  const lines = {} as Record<Priority, number>
  for (const priority of PRIORITIES) {
    const refusedAt = LEVELS.find((level) => !admission[level][priority])
    lines[priority] = refusedAt === undefined ? NEVER_REFUSED_LINE : refusedAt === 'normal' ? 0 : thresholds[refusedAt]
  }
  return Object.freeze(lines)
}
