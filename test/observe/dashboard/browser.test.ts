import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createController, type Controller } from '../../../src/index.js'
import { dashboardHandler, type DashboardHandler } from '../../../src/http.js'
import { chromiumBinary } from '../../support/machine.js'
import { close, listen } from '../../support/http.js'
import { bytesSource } from '../../support/sources.js'

// End to end: the real page in headless Chromium, served by a controller in this process.
const CHROMIUM = chromiumBinary()
const TOKEN = 'browser-test-token-0123456789'
const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'test-results')

let browser: Browser
let page: Page
let pressure: Controller
let dashboard: DashboardHandler
let server: ReturnType<typeof createServer>
let url: string
const heap = bytesSource('heap', 0, 100 * 1024 * 1024)
// Names from the application are shown as text, never parsed as markup.
const hostile = bytesSource('<img src=x onerror="window.pwned=1">', 0, 1000 * 1024 * 1024)
const pageErrors: string[] = []

beforeAll(async () => {
  if (!CHROMIUM.available) return
  pressure = createController({
    autoStart: false,
    sources: [heap, hostile],
    logger: {},
    // The "What grows" button captures a window of durationMs: short here.
    leaks: { auto: false, durationMs: 600, intervalBytes: 16 * 1024, maxPauseMs: 60_000 },
  })
  dashboard = dashboardHandler(pressure, { token: TOKEN, updateMs: 100, title: 'checkout-service' })
  server = createServer((req, res) => dashboard(req, res))
  url = `${await listen(server)}/heapguard?token=${TOKEN}`
  browser = await chromium.launch({
    executablePath: CHROMIUM.path,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  // A CSP violation (script or style blocked) shows up as a console error.
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
})

afterAll(async () => {
  await browser?.close()
  dashboard?.close()
  pressure?.close()
  if (server) await close(server)
})

function ramp(ratios: number[]): void {
  for (const ratio of ratios) {
    heap.used = Math.round(ratio * heap.limit)
    hostile.used = 10 * 1024 * 1024
    pressure.sample()
  }
}

/** Waits for the page to catch up; generous, because CI machines are slow and shared. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 50 })

const capacityOf = (name: string) => page.locator(`#caches-body tr[data-cache="${name}"] td.capacity`)

describe.skipIf(!CHROMIUM.available)('dashboard in a browser', () => {
  it('shows the live state and follows a forced level', async () => {
    const pages = pressure.caches.lru<string, string>('pages', { max: 200, priority: 'normal' })
    const sessions = pressure.caches.lru<string, string>('sessions', { max: 50, priority: 'essential' })
    const extras = pressure.caches.lru<string, string>('recommendations', { max: 100, priority: 'optional' })
    for (let i = 0; i < 80; i++) pages.set(`p${i}`, 'x'.repeat(2000))
    for (let i = 0; i < 20; i++) sessions.set(`s${i}`, 'session')
    for (let i = 0; i < 40; i++) extras.set(`r${i}`, 'y'.repeat(500))
    for (let i = 0; i < 60; i++) pages.get(`p${i % 100}`)
    pressure.features.flag('recommendations', { offAt: 'critical' })
    const task = pressure.tasks.every('cleanup', 60_000, () => {}, { pauseAt: 'warning' })
    ramp([0.3, 0.35, 0.42, 0.5, 0.55, 0.6])

    await page.goto(url)
    const level = page.locator('#level')
    await poll(() => level.getAttribute('data-level')).toBe('normal')
    await poll(() => page.locator('#conn').getAttribute('data-state')).toBe('live')
    expect(await page.title()).toBe('normal · checkout-service')
    const line = page.locator('#ratio-line')
    const before = await line.getAttribute('d')
    expect(before).toMatch(/^M/)
    expect(await capacityOf('pages').textContent()).toBe('200')
    expect(await page.locator('#features-body tr[data-feature="recommendations"] td').nth(1).textContent()).toBe('on')

    // Pressure rises: the line moves and the level follows the samples.
    ramp([0.66, 0.71, 0.74])
    await poll(() => level.getAttribute('data-level')).toBe('warning')
    await poll(() => line.getAttribute('d')).not.toBe(before)

    // The operator forces critical: badge, level strip, caches, flag and task all follow.
    pressure.force('critical')
    await poll(() => level.getAttribute('data-level')).toBe('critical')
    expect(await level.textContent()).toBe('critical')
    await poll(() => page.locator('#chart rect.seg[data-level="critical"]').count()).toBeGreaterThan(0)
    expect(await page.locator('#chart rect.seg[data-level="warning"]').count()).toBeGreaterThan(0)
    expect(await page.locator('#forced').isVisible()).toBe(true)
    // pages held 80 entries when pressure began: half of that at critical; optional caches are off.
    await poll(() => capacityOf('pages').textContent()).toBe('40')
    expect(await capacityOf('recommendations').textContent()).toBe('0')
    expect(await page.locator('#caches-body tr[data-cache="recommendations"] td.entries').textContent()).toBe('0')
    expect(await page.locator('#features-body tr[data-feature="recommendations"] td').nth(1).textContent()).toBe('off')
    expect(await page.locator('#tasks-body tr[data-task="cleanup"] td').nth(1).textContent()).toBe('paused')
    expect(await page.locator('#transitions-body tr').count()).toBe(2)

    // The chart shows thresholds and one band per level.
    expect(await page.locator('#chart line.threshold').count()).toBe(3)
    expect(await page.locator('#chart rect.band').count()).toBe(4)

    // The hostile source name is text, not markup.
    expect(await page.locator('#sources-body').textContent()).toContain('<img src=x onerror="window.pwned=1">')
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined()

    ramp([0.78, 0.83, 0.8])
    await poll(() => page.locator('#sources-body tr').first().locator('td').nth(4).textContent()).toBe('80.0 %')
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true })

    pressure.release()
    await poll(() => level.getAttribute('data-level')).toBe('warning')
    expect(await page.locator('#forced').isVisible()).toBe(false)
    expect(await page.locator('#mode').isVisible()).toBe(false)
    pressure.mode = 'observe'
    pressure.force('critical') // a level change pushes the new state at once
    await poll(() => page.locator('#mode').isVisible()).toBe(true)
    expect(await page.locator('#mode').textContent()).toBe('observe mode: nothing enforced')
    pressure.release()
    void task.stop()
    expect(pageErrors).toEqual([])
  })

  it('What grows: the button captures a window and the card shows its report, with links that carry the token', async () => {
    await page.goto(url)
    await poll(() => page.locator('#leaks-status').textContent()).toBe('no window yet')
    expect(await page.locator('#leaks-text').isHidden()).toBe(true)
    const kept: object[] = []
    const timer = setInterval(function keepGrowing() {
      for (let i = 0; i < 300; i++) kept.push({ i, text: `kept ${kept.length}` })
    }, 5)
    let report
    try {
      await page.click('#leaks-capture')
      await poll(() => pressure.leaks.running).toBe(true)
      report = await pressure.leaks.capture() // the window the button opened
    } finally {
      clearInterval(timer)
    }
    pressure.sample() // an update for the page
    await poll(() => page.locator('#leaks-status').textContent()).toMatch(/^newest window .*\(capture\)$/)
    const rows = page.locator('#leaks-body tr')
    expect(await rows.count()).toBe(Math.max(1, Math.min(10, report.sites.length)))
    if (report.sites.length > 0) expect(await rows.first().locator('td').nth(3).textContent()).toBe(report.sites[0]!.fn)
    expect(await page.locator('#leaks-growth').textContent()).toContain('heap not in managed caches')
    expect(await page.locator('#leaks-text').getAttribute('href')).toBe(`?leaks=report&token=${TOKEN}`)
    expect(await page.locator('#leaks-download').getAttribute('href')).toBe(`?leaks=heapprofile&token=${TOKEN}`)
    expect(await page.locator('#leaks-capture').isDisabled()).toBe(false)
    kept.length = 0
    expect(pageErrors).toEqual([])
  })

  it('stops its stream when the page goes away', async () => {
    expect(dashboard.connections).toBe(1)
    await page.close()
    await poll(() => dashboard.connections).toBe(0)
  })
})
