import type { ThresholdLevel } from '../pressure/levels.js'

/**
 * The levels a flag, a task or a level hook can react to. `normal` is left out on purpose: a flag
 * off at `normal` would never be on, a task paused at `normal` would never run.
 */
export const REACTING_LEVELS: readonly ThresholdLevel[] = Object.freeze(['warning', 'critical', 'emergency'])
