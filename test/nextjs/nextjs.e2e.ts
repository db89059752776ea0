// The Next.js example, end to end: the library packed and installed as a user installs it,
// `next build`, then `next start` under a 192 MB heap, checked through real HTTP. Runs as its own
// step (`npm run test:nextjs`), not in `npm test`: it installs Next.js and builds an app.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requirement } from '../support/machine.js'

const root = resolve(import.meta.dirname, '../..')
const app = join(root, 'examples/nextjs')
const TOKEN = 'e2e-token-0123456789abcdef'
const HEAP_MB = 192
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', HEAPGUARD_TOKEN: TOKEN, HEAPGUARD_EXAMPLE_ADMIN: '1' }
/**
 * `next build` evaluates route modules: it runs without the dashboard's token, as a CI build
 * does, so a route that reads its secret at module load (docs/nextjs.md once did) fails the build.
 */
const { HEAPGUARD_TOKEN: _token, ...buildEnv } = env

/** Installs the example's locked dependencies (npm's cache first) and the packed library; the failure, if any. */
function install(): string | undefined {
  if (process.env.HEAPGUARD_SKIP_NEXT === '1') return 'HEAPGUARD_SKIP_NEXT=1 is set'
  if (!existsSync(join(root, 'dist/web.js'))) return 'dist/ is missing: run npm run build first'
  const locked = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>
  }
  const installed = join(app, 'node_modules/next/package.json')
  const current =
    existsSync(installed) &&
    (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version ===
      locked.packages['node_modules/next']?.version
  const steps: [string, string[]][] = [
    ...(current ? [] : [['npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund']] as [string, string[]]]),
    [process.execPath, ['setup.mjs']],
  ]
  for (const [command, args] of steps) {
    const run = spawnSync(command, args, { cwd: app, env, encoding: 'utf8', timeout: 600_000 })
    if (run.status !== 0) return `${command} ${args.join(' ')} failed: ${(run.stderr || run.stdout).trim().slice(-400)}`
  }
  return undefined
}

const failure = install()
const next = requirement(
  'the Next.js example',
  failure === undefined,
  `unset HEAPGUARD_SKIP_NEXT, build heapguard (npm run build) and let npm reach the registry or its cache to install examples/nextjs (${failure})`,
)

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePort(port))
    })
  })
}

const nextBin = join(app, 'node_modules/next/dist/bin/next')
let server: ChildProcess | undefined
let output = ''
let base = ''
let buildSeconds = 0

async function waitForHealth(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) throw new Error(`next start exited early:\n${output}`)
    try {
      if ((await fetch(`${base}/api/health`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`next start did not answer in time:\n${output}`)
}

const admin = (method: 'POST' | 'DELETE', level?: string) =>
  fetch(`${base}/api/admin/level`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(level === undefined ? {} : { body: JSON.stringify({ level }) }),
  })

interface DashboardJson {
  state: {
    level: string
    caches: { name: string; entries: number }[]
    shed: { admitted: number; refused: Record<string, number>; refusedByReason?: Record<string, number> }
  }
}
const dashboard = async () =>
  (await (await fetch(`${base}/ops/heapguard?format=json&token=${TOKEN}`)).json()) as DashboardJson

describe.skipIf(!next.available)('the Next.js example (next build, next start --max-old-space-size=192)', () => {
  beforeAll(async () => {
    const started = Date.now()
    const build = spawnSync(process.execPath, [nextBin, 'build'], {
      cwd: app,
      env: buildEnv,
      encoding: 'utf8',
      timeout: 600_000,
    })
    buildSeconds = (Date.now() - started) / 1000
    if (build.status !== 0) throw new Error(`next build failed:\n${build.stdout}\n${build.stderr}`)
    console.log(`next build took ${buildSeconds.toFixed(1)} s`)
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    server = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, nextBin, 'start', '-p', String(port)], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await waitForHealth(Date.now() + 60_000)
  }, 660_000)

  afterAll(async () => {
    if (server === undefined || server.exitCode !== null) return
    const exited = new Promise((r) => server!.once('exit', r))
    server.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
    if (server.exitCode === null) server.kill('SIGKILL')
  })

  it('builds in a few minutes at most', () => {
    expect(buildSeconds).toBeGreaterThan(0)
    expect(buildSeconds).toBeLessThan(600)
  })

  it('has one controller per process: instrumentation.ts, the route bundles and proxy.ts share it', async () => {
    const before = await dashboard()
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/api/items/${i}`)).status).toBe(200)
    const after = await dashboard()
    // The dashboard's route bundle sees the cache only instrumentation.ts registers, the cache the
    // item route filled, and the admissions withPressure made in the item route's bundle.
    const caches = Object.fromEntries(after.state.caches.map((c) => [c.name, c.entries]))
    expect(Object.keys(caches).sort()).toEqual(['items', 'sessions'])
    expect(caches.items).toBeGreaterThanOrEqual(5)
    expect(after.state.shed.admitted - before.state.shed.admitted).toBeGreaterThanOrEqual(5)
    // proxy.ts (its own bundle, in front of page renders) reads the same controller.
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('x-heapguard-shared')).toBe('true')
    expect(await page.text()).toContain('Memory level seen by proxy.ts')
    // register() built it once, in the process that serves, and no copy built another.
    const ready = output.match(/heapguard: controller ready in process (\d+)/g) ?? []
    expect(ready).toEqual([`heapguard: controller ready in process ${server!.pid}`])
    expect(output).not.toContain('HEAPGUARD_SHARED_OPTIONS_DIFFER')
  })

  it('refuses low priority at critical with 503 and Retry-After, serves the rest; everything but critical at emergency', async () => {
    try {
      expect((await admin('POST', 'critical')).status).toBe(200)
      const report = await fetch(`${base}/api/reports?rows=10`)
      expect(report.status).toBe(503)
      expect(report.headers.get('retry-after')).toBe('5')
      expect(await report.json()).toEqual({ error: 'Service Unavailable', level: 'critical', retryAfter: 5 })
      expect((await fetch(`${base}/api/items/1`)).status).toBe(200)
      const page = await fetch(`${base}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('x-heapguard-level')).toBe('critical')

      expect((await admin('POST', 'emergency')).status).toBe(200)
      expect((await fetch(`${base}/api/items/1`)).status).toBe(503)
      const gated = await fetch(`${base}/`)
      expect(gated.status).toBe(503)
      expect(gated.headers.get('retry-after')).toBe('5')
      // the critical health route is still answered: with readiness failing at emergency
      const health = await fetch(`${base}/api/health`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ level: 'emergency' })
      const metrics = await (await fetch(`${base}/ops/metrics`)).text()
      expect(metrics).toMatch(/^requests_shed_total\{priority="low"\} [1-9]/m)
      expect(metrics).toMatch(/^memory_pressure_forced_level 3$/m)
    } finally {
      expect((await admin('DELETE')).status).toBe(200)
    }
    expect((await fetch(`${base}/api/reports?rows=10`)).status).toBe(200)
  })

  it('survives a burst of large reports: reports that cannot fit are refused before they allocate, cache traffic stays ≥ 99 % 2xx', async () => {
    const before = await dashboard()
    const cache = { ok: 0, failed: 0 }
    const reports = { ok: 0, refused: 0, failed: 0 }
    let stop = false
    const cacheLoop = async (lane: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await fetch(`${base}/api/items/${(lane * 131 + i) % 400}`)
          await r.arrayBuffer()
          if (r.ok) cache.ok++
          else cache.failed++
        } catch {
          cache.failed++
        }
      }
    }
    const report = async () => {
      try {
        // ~80 000 rows held in memory (≈ 15 MB of objects), then streamed as CSV
        const r = await fetch(`${base}/api/reports?rows=80000`)
        await r.arrayBuffer()
        if (r.ok) reports.ok++
        else if (r.status === 503) reports.refused++
        else reports.failed++
      } catch {
        reports.failed++
      }
    }
    const lanes = Array.from({ length: 6 }, (_, lane) => cacheLoop(lane))
    const burst: Promise<void>[] = []
    for (let i = 0; i < 60; i++) {
      burst.push(report())
      await new Promise((r) => setTimeout(r, 10))
    }
    await Promise.all(burst)
    stop = true
    await Promise.all(lanes)
    console.log(`burst: reports ${JSON.stringify(reports)}, cache ${JSON.stringify(cache)}`)
    console.log(
      output
        .split('\n')
        .filter((l) => l.includes('heapguard'))
        .slice(-30)
        .join('\n'),
    )

    // Still the same process: nothing ran out of memory.
    expect(server!.exitCode).toBeNull()
    expect(output).not.toMatch(/heap out of memory|Allocation failed/)
    // Every report got an answer, and the shedding had to refuse some of them.
    expect(reports.failed).toBe(0)
    expect(reports.ok + reports.refused).toBe(60)
    expect(reports.refused).toBeGreaterThan(0)
    // Refused by their reservation (`bytes`), before they allocated, not only once the level had risen.
    const after = await dashboard()
    const memory = (d: DashboardJson) => d.state.shed.refusedByReason?.memory ?? 0
    expect(memory(after) - memory(before)).toBeGreaterThan(0)
    expect(cache.ok).toBeGreaterThan(0)
    expect(cache.ok / (cache.ok + cache.failed)).toBeGreaterThanOrEqual(0.99)
    expect((await fetch(`${base}/api/health`)).status).toBe(200)
  })
})
