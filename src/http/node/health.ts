import type { IncomingMessage, ServerResponse } from 'node:http'
import { healthProbe, type HealthOptions } from '../../observe/health.js'
import type { ObservedController } from '../../observe/observed.js'
import { rejectMethod, sendJson, type RequestHandler } from './respond.js'

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
