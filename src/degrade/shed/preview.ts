import type { Level } from '../../pressure/levels.js'
import type { LevelChange } from '../../pressure/types.js'
import type { AdmissionTable } from './admission.js'
import { PRIORITIES } from './priority.js'

/**
 * Observe mode for load shedding: what a change of the effective level WOULD do to admission,
 * as log sentences (`priority 'low' would be refused`, `concurrency would be limited to 50`).
 */
export function previewAdmission(
  admission: AdmissionTable,
  limits: Readonly<Record<Level, number | null>>,
  { from, to }: LevelChange,
): string[] {
  const actions: string[] = []
  for (const priority of PRIORITIES) {
    const before = admission[from][priority]
    const after = admission[to][priority]
    if (before && !after) actions.push(`priority '${priority}' would be refused`)
    else if (!before && after) actions.push(`priority '${priority}' would be admitted again`)
  }
  const limit = limits[to]
  if (limit !== limits[from]) {
    actions.push(limit === null ? 'the concurrency limit would be lifted' : `concurrency would be limited to ${limit}`)
  }
  return actions
}
