import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parsePrometheus } from '../observe/helpers.js'
import { get } from '../support/http.js'
import { metricNames, PROMETHEUS_SERIES, shippedRules } from '../observe/rules.js'

// A real-process test: the demo is a program, its behaviour is the point. It runs the BUILT
// library (dist/), as `npm run demo` does after building.
const root = join(import.meta.dirname, '..', '..')

describe('npm run demo', () => {
  it('runs a short demo end to end, serving the dashboard, health and metrics, and prints a summary', async () => {
    expect(existsSync(join(root, 'dist', 'index.js')), 'build dist/ first (npx tsup)').toBe(true)
    const child = spawn(process.execPath, ['examples/demo/run.mjs', '--seconds', '8', '--port', '0'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    const url = new Promise<string>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        const m = /dashboard +(http:\/\/127\.0\.0\.1:\d+\/heapguard\?token=\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))

    // While it runs, what it printed works.
    const dashboardUrl = await url
    const page = await get(dashboardUrl)
    expect(page.status).toBe(200)
    expect(page.body).toContain('id="chart"')
    const base = dashboardUrl.slice(0, dashboardUrl.indexOf('/heapguard'))
    expect((await get(`${base}/heapguard`)).status).toBe(401)
    const health = await get(`${base}/healthz`)
    expect([200, 503]).toContain(health.status)
    expect(Object.keys(JSON.parse(health.body)).sort()).toEqual(['level', 'ratio'])
    const metrics = await get(`${base}/metrics`)
    expect(metrics.body).toMatch(/^memory_pressure_ratio \d/m)
    expect(metrics.body).toMatch(/^cache_entries\{cache="pages"\} \d+/m)
    // The shipped alert rules read what the demo serves (with a prefix they loaded and could never fire).
    const families = parsePrometheus(metrics.body).types
    for (const { alert, expr } of shippedRules())
      for (const name of metricNames(expr))
        if (!PROMETHEUS_SERIES.includes(name)) expect(families.has(name), `${alert} reads ${name}`).toBe(true)

    expect(await exited, err).toBe(0)
    expect(err).toBe('')
    expect(out).toContain('phase 1/5')
    expect(out).toMatch(/never ran out of memory/)
    expect(out).toContain('Summary (8 s of load)')
    expect(out).toMatch(/peak heap \d+\.\d MiB of 96\.0 MiB/)
    for (const name of ['sessions', 'pages', 'recommendations'])
      expect(out).toMatch(new RegExp(`^ +${name} +(essential|normal|optional) +\\d+\\.\\d %`, 'm'))
    expect(out).toMatch(/flag 'recommendations' \(off at critical\): (on|off) now/)
    expect(out).toMatch(/task 'reindex' \(pauses at warning\): \d+ runs/)
    expect(out).toMatch(/^ +all +\d+ +\d+ +\d+ +0$/m)
    // heapguard's leak window (pressure.leaks.capture()) over the warm-up, where the leaky route runs.
    expect(out).toMatch(/^ {2}What grows$/m)
  })
})
