// A tiny HTTP client for tests that run real servers on 127.0.0.1 (port 0): one request per
// connection (no keep-alive), the whole body read.
import { request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Listens on a free port of 127.0.0.1; resolves with the base URL (`http://127.0.0.1:PORT`). */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Closes the server, its open connections first. */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One request with node:http (no keep-alive), the whole body read. */
export function get(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** A GET whose client goes away when `abort()` is called. */
export function abortableGet(url: string): { abort(): void } {
  const req = request(url, { agent: false })
  req.on('error', () => {}) // the socket hang-up is the point
  req.end()
  return { abort: () => req.destroy() }
}
