import { rankOf } from '../../util/rank.js'

/**
 * How much a piece of work matters when memory runs short. The server decides it (from the
 * route, the job type); clients never pick their own.
 */
export type Priority = 'critical' | 'high' | 'normal' | 'low'

/** Every priority, most important first. */
export const PRIORITIES: readonly Priority[] = Object.freeze(['critical', 'high', 'normal', 'low'])

/** 0 for `critical` … 3 for `low`: smaller is served first. */
export const priorityRank: (priority: Priority) => number = rankOf(PRIORITIES)

/** Runs once per HTTP request (on what the `priority` option returned): plain comparisons. */
export function isPriority(value: unknown): value is Priority {
  return value === 'normal' || value === 'critical' || value === 'high' || value === 'low'
}
