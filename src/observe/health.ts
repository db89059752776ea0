import type { IncomingMessage, ServerResponse } from 'node:http'
import { atOrAbove, THRESHOLD_LEVELS, type ThresholdLevel } from '../pressure/levels.js'
import { checkOneOf, checkOptions } from '../util/validate.js'
import { checkController, type ObservedController } from './observed.js'
import { rejectMethod, sendJson, type RequestHandler } from './respond.js'

export interface HealthOptions {
  /** The level at which the probe answers 503. Default `'emergency'`. */
  failAt?: ThresholdLevel
}

const W = 'healthHandler'

/**
 * A readiness probe: `200 { level, ratio }` below `failAt`, `503` at or above it, never cached.
 * In observe mode the probe is one of the actions that wait for enforcement: it answers 200
 * whatever the level, with `mode: 'observe'` in the body.
 * Use it for readiness (the load balancer stops sending traffic until the pod recovers), never
 * for liveness: restarting a pod under memory pressure throws away its caches and moves its
 * load onto siblings that are likely under the same pressure.
 */
export function healthHandler(pressure: ObservedController, options: HealthOptions = {}): RequestHandler {
  const controller = checkController(W, pressure)
  const { failAt = 'emergency' } = checkOptions<HealthOptions>(W, 'options', options, ['failAt'])
  checkOneOf(W, 'option `failAt`', failAt, THRESHOLD_LEVELS)
  return function heapguardHealth(req: IncomingMessage, res: ServerResponse): void {
    if (rejectMethod(req, res)) return
    const level = controller.level
    const applied = controller.appliedLevel ?? level
    const body =
      controller.mode === 'observe'
        ? { level, ratio: controller.ratio, mode: 'observe' }
        : { level, ratio: controller.ratio }
    sendJson(req, res, atOrAbove(applied, failAt) ? 503 : 200, body)
  }
}
