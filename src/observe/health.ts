import { atOrAbove, THRESHOLD_LEVELS, type Level, type ThresholdLevel } from '../pressure/levels.js'
import { checkOneOf, checkOptions } from '../util/validate.js'
import { checkController } from './observed.js'

export interface HealthOptions {
  /** The level at which the probe answers 503. Default `'emergency'`. */
  failAt?: ThresholdLevel
}

/** The probe's answer, whichever kind of server sends it. */
export interface HealthAnswer {
  status: 200 | 503
  /** `mode: 'observe'` only in observe mode, where the probe answers 200 whatever the level. */
  body: { level: Level; ratio: number; mode?: 'observe' }
}

/** The probe of one controller, options checked: what the node and the Web handlers share. */
export function healthProbe(where: string, pressure: unknown, options: unknown): () => HealthAnswer {
  const controller = checkController(where, pressure)
  const { failAt = 'emergency' } = checkOptions<HealthOptions>(where, 'options', options, ['failAt'])
  checkOneOf(where, 'option `failAt`', failAt, THRESHOLD_LEVELS)
  return () => {
    const level = controller.level
    // The status follows the level the subsystems apply: in observe mode that is `normal`.
    const status = atOrAbove(controller.appliedLevel ?? level, failAt) ? 503 : 200
    const body = { level, ratio: controller.ratio }
    return { status, body: controller.mode === 'observe' ? { ...body, mode: 'observe' } : body }
  }
}
