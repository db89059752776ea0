import { createServer } from 'node:http'
import { mkdirSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { it } from 'vitest'
import { createController } from '../../src/index.js'
import { dashboardHandler } from '../../src/http.js'
import { close, listen, scriptedSource } from './helpers.js'

it('scratch screenshot', async () => {
  const heap = scriptedSource('heap', 96 * 1024 * 1024)
  const rss = scriptedSource('rss', 2048 * 1024 * 1024)
  const p = createController({ autoStart: false, sources: [heap, rss], logger: {} })
  let mult = 1
  const view: any = {
    get level() { return p.level }, get measuredLevel() { return p.measuredLevel }, get ratio() { return p.ratio },
    get forced() { return p.forced }, get thresholds() { return p.thresholds }, get hysteresis() { return p.hysteresis },
    get lastSample() { return p.lastSample }, get closed() { return p.closed },
    history: () => p.history(), transitions: () => p.transitions(), transitionCounts: () => p.transitionCounts(), trend: () => p.trend(),
    on: (e: any, f: any) => p.on(e, f), off: (e: any, f: any) => p.off(e, f),
    caches: { stats: () => [
      { name: 'sessions', priority: 'essential', entries: 1800, bytes: 3.5e6, capacity: Math.floor(2000 * Math.min(1, mult + 0.25)), multiplier: Math.min(1, mult + 0.25), hits: 900, misses: 100, evictions: 3, hitRatio: 0.9 },
      { name: 'pages', priority: 'normal', entries: 2400, bytes: 24e6, capacity: Math.floor(5000 * mult), multiplier: mult, hits: 5000, misses: 3000, evictions: 120, hitRatio: 0.625 },
      { name: 'recommendations', priority: 'optional', entries: 0, bytes: 0, capacity: 0, multiplier: 0, hits: 10, misses: 900, evictions: 1400, hitRatio: 0.011 },
    ] },
    shed: { stats: () => ({ inFlight: 12, queued: 0, admitted: 15000, refused: { critical: 0, high: 0, normal: 30, low: 412 }, limit: null }) },
    features: { list: () => [{ name: 'recommendations', enabled: mult === 1, offAt: 'critical', override: null }] },
    tasks: { list: () => [{ name: 'cleanup', intervalMs: 1000, pauseAt: 'warning', paused: mult < 1, running: false, runs: 42, failures: 0, lastRunAt: Date.now() - 3000, stopped: false }] },
  }
  const d = dashboardHandler(view, { token: 'scratch-token-0123456789', updateMs: 100 })
  const server = createServer((req, res) => d(req, res))
  const base = await listen(server)
  for (let i = 0; i < 120; i++) {
    const r = 0.3 + 0.6 * Math.sin(i / 38) ** 2 + (i % 7) * 0.005
    heap.used = r * heap.limit; rss.used = 300e6
    p.sample()
    await new Promise((ok) => setTimeout(ok, 5))
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] })
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  page.on('console', (m) => console.log('console:', m.type(), m.text()))
  page.on('pageerror', (e) => console.log('pageerror', e.message))
  await page.goto(`${base}/?token=scratch-token-0123456789`)
  await page.waitForSelector('#ratio-line')
  mult = 0.5
  p.force('critical')
  await new Promise((ok) => setTimeout(ok, 500))
  mkdirSync('test-results', { recursive: true })
  await page.screenshot({ path: 'test-results/scratch.png', fullPage: true })
  await browser.close(); d.close(); p.close(); await close(server)
})
