/** Pressure levels, lowest first. The order is part of the contract. */
export type Level = 'normal' | 'warning' | 'critical' | 'emergency'

export const LEVELS: readonly Level[] = Object.freeze(['normal', 'warning', 'critical', 'emergency'])

/** Levels that have a threshold (every level but `normal`). */
export type ThresholdLevel = Exclude<Level, 'normal'>

const RANK: Readonly<Record<Level, number>> = { normal: 0, warning: 1, critical: 2, emergency: 3 }

/** 0 for `normal` … 3 for `emergency`. */
export function levelRank(level: Level): number {
  return RANK[level]
}

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RANK, value)
}

/** True when `level` is `threshold` or above it. */
export function atOrAbove(level: Level, threshold: Level): boolean {
  return RANK[level] >= RANK[threshold]
}
