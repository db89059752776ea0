import { healthProbe, type HealthOptions } from '../../observe/health.js'
import type { ObservedController } from '../../observe/observed.js'
import { rejectWebMethod, webJson, type WebHandler } from './respond.js'

/**
 * The readiness probe as a Web handler (`Request → Response`), with the same answers as the
 * node one from `heapguard/http`: `200 { level, ratio }` below `failAt` (default `'emergency'`; in observe mode always 200, with `mode: 'observe'`),
 * `503` at or above it, never cached; GET and HEAD only.
 */
export function healthHandler(pressure: ObservedController, options: HealthOptions = {}): WebHandler {
  const probe = healthProbe('healthHandler', pressure, options)
  return function heapguardHealth(request: Request): Response {
    const rejected = rejectWebMethod(request)
    if (rejected !== undefined) return rejected
    const { status, body } = probe()
    return webJson(request, status, body)
  }
}
