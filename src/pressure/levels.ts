import { rankOf } from '../util/rank.js'

/** Pressure levels, lowest first. The order is part of the public API (docs/pressure.md#levels). */
export type Level = 'normal' | 'warning' | 'critical' | 'emergency'

export const LEVELS: readonly Level[] = Object.freeze(['normal', 'warning', 'critical', 'emergency'])

/** Levels that have a threshold (every level but `normal`). */
export type ThresholdLevel = Exclude<Level, 'normal'>

/**
 * The levels with a threshold, lowest first: what a flag, a task, a level hook or a readiness
 * probe can react to. `normal` is left out on purpose: a flag off at `normal` would never be on,
 * a task paused at `normal` would never run.
 */
export const THRESHOLD_LEVELS: readonly ThresholdLevel[] = Object.freeze(['warning', 'critical', 'emergency'])

/** 0 for `normal` … 3 for `emergency`. */
export const levelRank: (level: Level) => number = rankOf(LEVELS)

/** True when `level` is `threshold` or above it. */
export function atOrAbove(level: Level, threshold: Level): boolean {
  return levelRank(level) >= levelRank(threshold)
}
