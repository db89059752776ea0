import type { ServerResponse } from 'node:http'
import type { ShedError } from '../degrade/shed/error.js'

/** The one answer every refused HTTP request gets, whatever the framework. */
export const REFUSAL_STATUS = 503

/** `{ error, level, retryAfter }`: enough for a client or a dashboard to know why and when to retry. */
export function refusalBody(error: ShedError): string {
  return JSON.stringify({ error: 'Service Unavailable', level: error.level, retryAfter: error.retryAfter })
}

/** Headers of a refusal; `no-store` keeps proxies from caching a momentary 503. */
export function refusalHeaders(error: ShedError): Record<string, string> {
  return {
    'retry-after': String(error.retryAfter),
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  }
}

/** Answers a refused request on a plain node:http response (Connect and Express use the same). */
export function writeRefusal(error: ShedError, res: ServerResponse): void {
  // A refusal after waiting may find that something else already answered; never write twice.
  if (res.headersSent || res.writableEnded) return
  const body = refusalBody(error)
  res.writeHead(REFUSAL_STATUS, { ...refusalHeaders(error), 'content-length': String(Buffer.byteLength(body)) })
  res.end(body)
}
