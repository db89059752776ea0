import { request, type IncomingHttpHeaders } from 'node:http'

/** A clock the test moves. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}

export interface PromSeries {
  name: string
  labels: Record<string, string>
  value: number
}

export interface PromScrape {
  types: Map<string, string>
  series: PromSeries[]
  /** The value of one series, or undefined when it is absent. */
  value(name: string, labels?: Record<string, string>): number | undefined
  /** Every series of a metric name. */
  all(name: string): PromSeries[]
}

/** Parses the Prometheus text format (what prom-client's `registry.metrics()` returns). */
export function parsePrometheus(text: string): PromScrape {
  const types = new Map<string, string>()
  const series: PromSeries[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) {
      types.set(type[1]!, type[2]!)
      continue
    }
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!
    const raw = m[3]!
    const value =
      raw === 'Nan' || raw === 'NaN' ? NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
    series.push({ name: m[1]!, labels, value })
  }
  const matches = (s: PromSeries, labels: Record<string, string>): boolean =>
    Object.keys(labels).length === Object.keys(s.labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  return {
    types,
    series,
    value: (name, labels = {}) => series.find((s) => s.name === name && matches(s, labels))?.value,
    all: (name) => series.filter((s) => s.name === name),
  }
}

export interface SseEvent {
  event: string
  data: string
}

export interface SseClient {
  status: number
  headers: IncomingHttpHeaders
  events: SseEvent[]
  ended: boolean
  /** Resolves with the first event (already received or coming) that matches, after `from`. */
  next(match: (e: SseEvent) => boolean, from?: number): Promise<SseEvent>
  close(): void
}

/** A minimal EventSource over node:http, so tests can see the raw stream and disconnect at will. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      let buffer = ''
      const waiters: { match: (e: SseEvent) => boolean; from: number; resolve: (e: SseEvent) => void }[] = []
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        ended: false,
        next(match, from = 0) {
          const found = client.events.slice(from).find(match)
          if (found) return Promise.resolve(found)
          return new Promise((ok) => waiters.push({ match, from, resolve: ok }))
        },
        close: () => req.destroy(),
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let cut: number
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (data.length === 0) continue
          const e = { event, data: data.join('\n') }
          client.events.push(e)
          const index = client.events.length - 1
          for (const w of waiters.splice(0)) {
            if (index >= w.from && w.match(e)) w.resolve(e)
            else waiters.push(w)
          }
        }
      })
      res.on('end', () => (client.ended = true))
      res.on('error', () => (client.ended = true))
      resolve(client)
    })
    req.on('error', reject)
    req.end()
  })
}
