import { spawnSync } from 'node:child_process'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createController, type Controller } from '../../../src/index.js'
import { collectMetrics } from '../../../src/prometheus.js'
import { metricsHandler } from '../../../src/web.js'
import { isExecutable, requirement } from '../../support/machine.js'
import { bytesSource } from '../../support/sources.js'
import { manualClock, parsePrometheus, type PromScrape } from '../helpers.js'

const MiB = 1024 * 1024
const opened: Controller[] = []
afterEach(() => {
  for (const p of opened.splice(0)) p.close()
  vi.restoreAllMocks()
})

/** A controller with something in every subsystem, so every metric family has series. */
function busyController() {
  const heap = bytesSource('heap', 0, 100 * MiB)
  const clock = manualClock()
  const pressure = createController({
    autoStart: false,
    sources: [heap],
    now: clock.now,
    logger: {},
    shed: { concurrency: { critical: 4 } },
  })
  opened.push(pressure)
  const users = pressure.caches.lru<string, string>('users', { max: 100 })
  users.set('a', 'x'.repeat(100))
  users.get('a')
  users.get('b')
  pressure.caches.lru('say "hi"\\ to\nme', { max: 10, priority: 'optional' })
  pressure.features.flag('recommendations', { offAt: 'warning' })
  const task = pressure.tasks.every('warm-up', 60_000, () => {}, { pauseAt: 'critical' })
  heap.used = 90 * MiB
  clock.advance(1000)
  pressure.sample()
  pressure.shed.admit('low')
  pressure.shed.admit('normal')
  return { pressure, task }
}

const scrapeWeb = async (pressure: Controller, prefix?: string) => {
  const handler = metricsHandler(pressure, prefix === undefined ? {} : { prefix })
  const r = handler(new Request('http://localhost/metrics'))
  return { response: r, text: await r.text() }
}

const sortSeries = (m: PromScrape) =>
  m.series.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).sort((a, b) => a.localeCompare(b))

describe('metricsHandler (heapguard/web): Prometheus text without prom-client', () => {
  it('gives the same families, types, help and series as collectMetrics on a prom-client registry', async () => {
    const { pressure } = busyController()
    const registry = new Registry()
    collectMetrics(pressure, { registry, prefix: 'app_' })
    const fromPromClient = await registry.metrics()
    const { text } = await scrapeWeb(pressure, 'app_')
    const ours = parsePrometheus(text)
    const theirs = parsePrometheus(fromPromClient)
    expect(ours.types).toEqual(theirs.types)
    expect(sortSeries(ours)).toEqual(sortSeries(theirs))
    const help = (t: string) =>
      t
        .split('\n')
        .filter((l) => l.startsWith('# HELP'))
        .sort()
    expect(help(text)).toEqual(help(fromPromClient))
    // Every family is there, and series with labels escaped as the format says.
    expect(ours.value('app_memory_pressure_level')).toBe(2)
    expect(ours.value('app_requests_shed_total', { priority: 'low' })).toBe(1)
    expect(text).toContain('app_cache_entries{cache="say \\"hi\\"\\\\ to\\nme"} 0')
  })

  it('answers with the text format’s content type, never cached; HEAD without a body; other methods 405', async () => {
    const { pressure } = busyController()
    const handler = metricsHandler(pressure)
    const r = handler(new Request('http://localhost/metrics'))
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(r.headers.get('cache-control')).toBe('no-store')
    const head = handler(new Request('http://localhost/metrics', { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(head.body).toBeNull()
    const post = handler(new Request('http://localhost/metrics', { method: 'POST' }))
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('reads the state at each scrape', async () => {
    const { pressure } = busyController()
    expect(parsePrometheus((await scrapeWeb(pressure)).text).value('memory_pressure_forced_level')).toBe(-1)
    pressure.force('emergency')
    expect(parsePrometheus((await scrapeWeb(pressure)).text).value('memory_pressure_forced_level')).toBe(3)
  })

  it('still answers when one subsystem fails to read: its families are empty, with a comment saying why', async () => {
    const { pressure } = busyController()
    vi.spyOn(pressure.caches, 'stats').mockImplementation(() => {
      throw new Error('stats broke')
    })
    const { response, text } = await scrapeWeb(pressure)
    expect(response.status).toBe(200)
    const m = parsePrometheus(text)
    expect(m.all('cache_entries')).toEqual([])
    expect(m.types.get('cache_entries')).toBe('gauge')
    expect(text).toContain('# heapguard: cache_entries could not be read: stats broke')
    expect(m.value('memory_pressure_level')).toBe(2)
    expect(m.value('requests_admitted_total')).toBe(1)
  })

  const promtool = requirement(
    'promtool',
    isExecutable('/usr/bin/promtool'),
    'apt-get install -y prometheus (for /usr/bin/promtool)',
  )
  it.skipIf(!promtool.available)('passes promtool check metrics', async () => {
    const { pressure } = busyController()
    const { text } = await scrapeWeb(pressure, 'app_')
    // It parses the format and lints the names, help and types: silence and status 0 mean both passed.
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(check.stdout + check.stderr).toBe('')
    expect(check.status).toBe(0)
  })
})
