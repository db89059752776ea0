import type { Thresholds } from '../types.js'
import { checkNumber, checkOptions, MAX_TIMER_MS, optionKeys } from '../../util/validate.js'

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({ warning: 0.7, critical: 0.85, emergency: 0.95 })

const DEFAULT_FAST_INTERVAL_MS = 25

const THRESHOLD_KEYS: readonly (keyof Thresholds & string)[] = ['warning', 'critical', 'emergency']

/** The options a live controller can change with `configure()`: the level rules and the poll. */
export interface PressureTuning {
  /** Default `{ warning: 0.70, critical: 0.85, emergency: 0.95 }`; partial objects are merged. */
  thresholds?: Partial<Thresholds>
  /** Default 0.05: a level is left only when the ratio is below its threshold minus this. */
  hysteresis?: number
  /** Default 5000: time below the exit line before stepping down one level. */
  recoveryMs?: number
  /** Default 1000: polling period while the ratio is well below warning. */
  intervalMs?: number
  /** Default 25 (or `intervalMs` when that is shorter): polling period from `warning − 0.10` up; must not exceed `intervalMs`. */
  fastIntervalMs?: number
}

export const TUNING_KEYS = optionKeys<PressureTuning>({
  thresholds: true,
  hysteresis: true,
  recoveryMs: true,
  intervalMs: true,
  fastIntervalMs: true,
})

/** The tuning in force, as the level machine and the poll read it. */
export interface Tuning {
  readonly thresholds: Readonly<Thresholds>
  readonly hysteresis: number
  readonly recoveryMs: number
  readonly intervalMs: number
  readonly fastIntervalMs: number
}

function resolveThresholds(where: string, value: unknown): Readonly<Thresholds> {
  const partial = checkOptions<Thresholds>(where, 'option `thresholds`', value, THRESHOLD_KEYS)
  const thresholds = { ...DEFAULT_THRESHOLDS, ...partial }
  for (const key of THRESHOLD_KEYS) {
    checkNumber(where, `option \`thresholds.${key}\``, thresholds[key], { above: 0, max: 1 })
  }
  if (!(thresholds.warning < thresholds.critical && thresholds.critical < thresholds.emergency)) {
    throw new RangeError(
      `${where}: option \`thresholds\` must be strictly increasing (warning < critical < emergency), got ` +
        `warning ${thresholds.warning}, critical ${thresholds.critical}, emergency ${thresholds.emergency}`,
    )
  }
  return Object.freeze(thresholds)
}

/** Checks the tuning options and fills in the defaults; `where` starts every message. */
export function resolveTuning(where: string, options: PressureTuning): Tuning {
  const thresholds = resolveThresholds(where, options.thresholds)
  const hysteresis = checkNumber(where, 'option `hysteresis`', options.hysteresis ?? 0.05, { min: 0 })
  if (hysteresis >= thresholds.warning) {
    throw new RangeError(
      `${where}: option \`hysteresis\` must be below thresholds.warning (${thresholds.warning}), got ${hysteresis}`,
    )
  }
  const intervalMs = checkNumber(where, 'option `intervalMs`', options.intervalMs ?? 1000, {
    above: 0,
    max: MAX_TIMER_MS,
  })
  // The default follows a short `intervalMs` down: an option the caller never set must not make theirs fail.
  const fastIntervalMs =
    options.fastIntervalMs === undefined
      ? Math.min(DEFAULT_FAST_INTERVAL_MS, intervalMs)
      : checkNumber(where, 'option `fastIntervalMs`', options.fastIntervalMs, { above: 0, max: MAX_TIMER_MS })
  if (fastIntervalMs > intervalMs) {
    throw new RangeError(
      `${where}: option \`fastIntervalMs\` (${fastIntervalMs}) must not exceed \`intervalMs\` (${intervalMs})`,
    )
  }
  const recoveryMs = checkNumber(where, 'option `recoveryMs`', options.recoveryMs ?? 5000, { min: 0 })
  return { thresholds, hysteresis, recoveryMs, intervalMs, fastIntervalMs }
}

/**
 * The tuning of a live controller. `configure(partial)` resolves the options given so far (at
 * construction and by earlier calls) with `partial` merged over them, through the very checks
 * of construction: a controller configured with `{ warning: 0.6 }` is the one that would have
 * been built with it. Nothing changes unless every value passes.
 */
export class LiveTuning implements Tuning {
  // Plain fields, not getters: the sampler reads them at every sample.
  thresholds: Readonly<Thresholds>
  hysteresis: number
  recoveryMs: number
  intervalMs: number
  fastIntervalMs: number
  #given: PressureTuning

  constructor(given: PressureTuning) {
    const values = resolveTuning('createController', given)
    this.thresholds = values.thresholds
    this.hysteresis = values.hysteresis
    this.recoveryMs = values.recoveryMs
    this.intervalMs = values.intervalMs
    this.fastIntervalMs = values.fastIntervalMs
    this.#given = { ...given }
  }

  /**
   * Checks `partial` (unknown keys throw) and returns the function that puts it in force; throws,
   * changing nothing, when a value would have been refused at construction.
   */
  prepare(where: string, partial: unknown): () => void {
    const options = checkOptions<PressureTuning>(where, 'options', partial, TUNING_KEYS)
    const given: PressureTuning = { ...this.#given }
    for (const key of TUNING_KEYS) {
      if (options[key] === undefined) continue
      if (key === 'thresholds') {
        const thresholds = checkOptions<Thresholds>(where, 'option `thresholds`', options.thresholds, THRESHOLD_KEYS)
        given.thresholds = { ...given.thresholds, ...thresholds }
      } else Object.assign(given, { [key]: options[key] })
    }
    const values = resolveTuning(where, given)
    return () => {
      this.#given = given
      Object.assign(this, values)
    }
  }
}
