import type { IncomingMessage, ServerResponse } from 'node:http'
import { atOrAbove, THRESHOLD_LEVELS, type Level, type ThresholdLevel } from '../pressure/levels.js'
import { checkOneOf, checkOptions } from '../util/validate.js'
import { checkController, type ObservedController } from './observed.js'
import { rejectMethod, sendJson, type RequestHandler } from '../http/node/respond.js'

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

/**
 * A readiness probe: `200 { level, ratio }` below `failAt`, `503` at or above it, never cached.
 * In observe mode the probe is one of the actions that wait for enforcement: it answers 200
 * whatever the level, with `mode: 'observe'` in the body.
 * Use it for readiness (the load balancer stops sending traffic until the pod recovers), never
 * for liveness: restarting a pod under memory pressure throws away its caches and moves its
 * load onto siblings that are likely under the same pressure.
 */
export function healthHandler(pressure: ObservedController, options: HealthOptions = {}): RequestHandler {
  const probe = healthProbe('healthHandler', pressure, options)
  return function heapguardHealth(req: IncomingMessage, res: ServerResponse): void {
    if (rejectMethod(req, res)) return
    const { status, body } = probe()
    sendJson(req, res, status, body)
  }
}
