// Shared by the shedding tests: a controller driven by hand, deferred promises, a tiny HTTP client.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { createController, type ShedOptions } from '../../../src/index.js'

/** A controller with no timer and a flat fake source: levels change only through `force()`. */
export function manualController(shed?: ShedOptions) {
  return createController({
    autoStart: false,
    sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
    logger: {},
    ...(shed === undefined ? {} : { shed }),
  })
}

export { deferred, type Deferred } from '../../support/deferred.js'

export async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** GET on a fresh connection (no keep-alive, so every request is on its own socket). */
export function get(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
  })
}

/** A GET whose client goes away when `abort()` is called. */
export function abortableGet(port: number, path: string): { abort(): void } {
  const req = http.get({ host: '127.0.0.1', port, path, agent: false })
  req.on('error', () => {}) // the socket hang-up is the point
  return { abort: () => req.destroy() }
}
