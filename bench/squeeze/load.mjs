// The load driver: `connections` workers on keep-alive sockets to 127.0.0.1, together offering
// `rate` requests per second for `durationMs`. Every offered request ends in exactly one bucket:
// 2xx, 503, another status, or an error (refused/reset connection, timeout). A worker whose
// answer comes late sends its next request at once but never bursts to catch up, so a stalled
// server sees at most `connections` requests in flight, as with autocannon.
import http from 'node:http'

/** One GET; resolves `{ status, cache }` or `{ error }`, never rejects. */
function get(agent, port, path, timeoutMs) {
  return new Promise((resolve) => {
    const request = http.get({ agent, host: '127.0.0.1', port, path }, (response) => {
      response.resume()
      response.on('end', () => resolve({ status: response.statusCode, cache: response.headers['x-cache'] }))
      response.on('error', (error) => resolve({ error: error.code ?? error.message }))
    })
    request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })))
    request.on('error', (error) => resolve({ error: error.code ?? error.message }))
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/**
 * Runs the load and returns the counts, latencies (ms, from send to the end of the answer),
 * the hot-set hits and misses seen in `x-cache`, and a per-second timeline of outcomes.
 * `until()`, when given, ends the load early: no request is sent once it returns true.
 */
export async function runLoad({ port, durationMs, rate, connections, keys, timeoutMs = 5000, until = () => false }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const perWorkerMs = (connections * 1000) / rate
  const start = performance.now()
  const end = start + durationMs
  const result = {
    sent: 0,
    ok: 0,
    shed: 0,
    otherStatus: 0,
    errors: 0,
    errorKinds: {},
    hot: { hits: 0, misses: 0 },
    latencyAll: [],
    latencyOk: [],
    timeline: [], // per second: { ok, shed, other, errors, hotHits, hotMisses }
  }
  const bucket = (at) => {
    const second = Math.floor((at - start) / 1000)
    while (result.timeline.length <= second)
      result.timeline.push({ ok: 0, shed: 0, other: 0, errors: 0, hotHits: 0, hotMisses: 0 })
    return result.timeline[second]
  }

  async function worker(index) {
    let next = start + (index * perWorkerMs) / connections // stagger the workers
    while (next < end && !until()) {
      const wait = next - performance.now()
      if (wait > 0) await sleep(wait)
      if (until()) break
      const { key, hot } = keys.next()
      const sentAt = performance.now()
      result.sent++
      const answer = await get(agent, port, `/v/${key}`, timeoutMs)
      const doneAt = performance.now()
      const slot = bucket(sentAt)
      if (answer.error !== undefined) {
        result.errors++
        slot.errors++
        result.errorKinds[answer.error] = (result.errorKinds[answer.error] ?? 0) + 1
      } else {
        const ms = doneAt - sentAt
        result.latencyAll.push(ms)
        if (answer.status >= 200 && answer.status < 300) {
          result.ok++
          slot.ok++
          result.latencyOk.push(ms)
          if (hot && answer.cache === 'hit') {
            result.hot.hits++
            slot.hotHits++
          } else if (hot) {
            result.hot.misses++
            slot.hotMisses++
          }
        } else if (answer.status === 503) {
          result.shed++
          slot.shed++
        } else {
          result.otherStatus++
          slot.other++
        }
      }
      next = Math.max(next + perWorkerMs, performance.now())
    }
  }

  await Promise.all(Array.from({ length: connections }, (_, i) => worker(i)))
  agent.destroy()
  return result
}

/** `count` sequential GETs of `path` on fresh connections; returns how many answered 2xx, and the statuses. */
export async function probeAfterLoad({ port, path = '/ping', count = 20, timeoutMs = 2000 }) {
  const statuses = []
  for (let i = 0; i < count; i++) {
    const answer = await get(false, port, path, timeoutMs) // a fresh connection each time
    statuses.push(answer.error ?? answer.status)
  }
  return { ok: statuses.filter((s) => typeof s === 'number' && s >= 200 && s < 300).length, of: count, statuses }
}
