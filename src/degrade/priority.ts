/**
 * How much a piece of work matters when memory runs short. The server decides it (from the
 * route, the job type); clients never pick their own.
 */
export type Priority = 'critical' | 'high' | 'normal' | 'low'

/** Every priority, most important first. */
export const PRIORITIES: readonly Priority[] = Object.freeze(['critical', 'high', 'normal', 'low'])

const RANK: Readonly<Record<Priority, number>> = { critical: 0, high: 1, normal: 2, low: 3 }

/** 0 for `critical` … 3 for `low`: smaller is served first. */
export function priorityRank(priority: Priority): number {
  return RANK[priority]
}

/** Runs once per HTTP request (on what the `priority` option returned): plain comparisons. */
export function isPriority(value: unknown): value is Priority {
  return value === 'normal' || value === 'critical' || value === 'high' || value === 'low'
}
