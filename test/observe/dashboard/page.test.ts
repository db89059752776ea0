import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createController, LEVELS, PRIORITIES, type Controller } from '../../../src/index.js'
import { dashboardHandler, type DashboardHandler } from '../../../src/http.js'
import { bundleDashboardScript } from '../../../scripts/dashboard-script.mjs'
import { close, get, listen } from '../../support/http.js'
import { bytesSource } from '../../support/sources.js'

// The page's script is browser/main.ts bundled at build time; these check what a browser gets.
const TOKEN = 'page-test-token-0123456789'
const ROOT = resolve(import.meta.dirname, '..', '..', '..')

let pressure: Controller
let dashboard: DashboardHandler
let server: ReturnType<typeof createServer>
let script: string
let style: string
let csp: string

beforeAll(async () => {
  pressure = createController({ autoStart: false, sources: [bytesSource()], logger: {} })
  dashboard = dashboardHandler(pressure, { token: TOKEN })
  server = createServer((req, res) => dashboard(req, res))
  const r = await get(`${await listen(server)}/?token=${TOKEN}`)
  script = /<script>([\s\S]*?)<\/script>/.exec(r.body)![1]!
  style = /<style>([\s\S]*?)<\/style>/.exec(r.body)![1]!
  csp = r.headers['content-security-policy'] as string
})

afterAll(async () => {
  dashboard.close()
  pressure.close()
  await close(server)
})

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`
const count = (text: string, part: string): number => text.split(part).length - 1

describe('dashboard page: the inlined script', () => {
  it('is the bundle of browser/main.ts, allowed by its hash and by nothing else', async () => {
    const { code } = await bundleDashboardScript()
    expect(script).toBe(code)
    expect(csp).toContain(`script-src ${hash(script)};`)
    expect(csp).toContain(`style-src ${hash(style)};`)
    expect(csp).not.toMatch(/unsafe-(?:inline|eval)/)
  })

  it('is one plain browser script: no module syntax, no Node, no markup parsing', () => {
    expect(script).toMatch(/^"use strict";\(\(\)=>\{/)
    expect(script).not.toMatch(/\b(?:import|export)\b[\s{*]/)
    expect(script).not.toMatch(/\brequire\(|\bprocess\.|\bBuffer\b|node:/)
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(/)
    // Pure ASCII, so the hash never depends on a charset.
    expect(script).toMatch(/^[\x20-\x7e\n]*$/)
  })

  it('takes the level and priority lists from the shared modules instead of declaring its own', () => {
    const lists = [LEVELS, LEVELS.slice(1), PRIORITIES].map((list) => JSON.stringify(list))
    // Each list once: what esbuild wrote for src/pressure/levels.ts and src/degrade/shed/priority.ts.
    for (const list of lists) expect(count(script, list)).toBe(1)
    // Outside those lists no level name is spelled out as a string.
    const rest = lists.reduce((text, list) => text.replace(list, ''), script)
    for (const level of LEVELS) expect(rest).not.toMatch(new RegExp(`["'\`]${level}["'\`]`))
  })

  it('colours each level as the style sheet does, from one palette', () => {
    const colors = LEVELS.map((level) => new RegExp(`--${level}: (#[0-9a-f]{6});`).exec(style)?.[1])
    expect(colors).toEqual([expect.any(String), expect.any(String), expect.any(String), expect.any(String)])
    expect(new Set(colors).size).toBe(LEVELS.length)
    for (const color of colors) expect(count(script, color!)).toBe(1)
    // The style sheet refers to the custom properties, never to a colour of its own per level.
    for (const level of LEVELS) {
      for (const selector of [
        `body[data-level=${level}] header`,
        `.badge[data-level=${level}]`,
        `.lvl[data-level=${level}]`,
      ])
        expect(style).toContain(`${selector} {`)
    }
    for (const color of colors) expect(count(style, color!)).toBe(1)
  })

  it('bundles only the page code and the small shared constant modules', async () => {
    const { files } = await bundleDashboardScript()
    const shared = [
      'src/observe/dashboard/palette.ts',
      'src/pressure/levels.ts',
      'src/degrade/shed/priority.ts',
      'src/util/rank.ts',
    ]
    const outside = files
      .map((file) => relative(ROOT, file))
      .filter((file) => !file.startsWith('src/observe/dashboard/browser/') && !shared.includes(file))
    expect(outside).toEqual([])
    expect(files.map((file) => relative(ROOT, file))).toContain('src/observe/dashboard/browser/main.ts')
  })
})
