import { checkOptions } from '../../util/validate.js'
import { checkPrefix } from '../../observe/metrics/definitions.js'
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from '../../observe/metrics/text.js'
import { checkController, type ObservedController } from '../../observe/observed.js'
import { rejectWebMethod, webSend, type WebHandler } from './respond.js'

export interface MetricsHandlerOptions {
  /** Put in front of every metric name, e.g. `'myapp_'`. Default `''`. */
  prefix?: string
}

const W = 'metricsHandler'

/**
 * A Prometheus scrape endpoint as a Web handler: the controller's metrics in the text format,
 * the same families `collectMetrics()` puts on a prom-client registry, without prom-client.
 * Values are read when scraped, never on the sampling path. GET and HEAD only, never cached.
 * (An app that already runs prom-client keeps its registry: `collectMetrics()` joins it.)
 */
export function metricsHandler(pressure: ObservedController, options: MetricsHandlerOptions = {}): WebHandler {
  const controller = checkController(W, pressure)
  const { prefix = '' } = checkOptions<MetricsHandlerOptions>(W, 'options', options, ['prefix'])
  checkPrefix(W, prefix)
  return function heapguardMetrics(request: Request): Response {
    const rejected = rejectWebMethod(request)
    if (rejected !== undefined) return rejected
    return webSend(request, 200, PROMETHEUS_CONTENT_TYPE, renderMetrics(controller, prefix))
  }
}
