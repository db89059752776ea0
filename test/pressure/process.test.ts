// Real-process tests: the behaviour of a whole Node process is the point here (does it exit by
// itself? do GC-triggered samples see a real heap fill up?). The fixtures import the BUILT
// library, dist/index.js (`npm test` builds it first; by hand: `npx tsup`).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url))

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  lines: Record<string, unknown>[]
  stderr: string
}

/** Runs a fixture; kills it after `timeoutMs` (and says so) instead of hanging the suite. */
function run(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const lines = stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
      resolve({ code, signal, timedOut, lines, stderr })
    })
  })
}

beforeAll(() => {
  if (!existsSync(dist)) throw new Error(`build the library first (npx tsup): ${dist} is missing`)
})

describe('a real process', () => {
  it('with a started controller, listeners, a forced level and pending timers exits by itself', async () => {
    const r = await run(['--expose-gc', fixture('pressure-exits.mjs')], 20_000)
    expect(r.timedOut, `the child was still running after 20 s; stderr: ${r.stderr}`).toBe(false)
    expect(r.code).toBe(0)
    expect(r.lines).toContainEqual({ event: 'level', from: 'normal', to: 'warning' })
    const done = r.lines.find((l) => l.event === 'done')
    expect(done).toMatchObject({ level: 'warning' })
    // the GC observer delivered: at least one GC-triggered sample after the first
    expect(done!.samples).toBeGreaterThanOrEqual(1)
    expect(r.lines.filter((l) => l.event === 'error')).toEqual([])
  }, 30_000)

  it('under --max-old-space-size=64, GC-triggered samples see warning, then critical, while the poll timer is 60 s', async () => {
    const r = await run(['--max-old-space-size=64', fixture('pressure-gc-sampling.mjs')], 60_000)
    expect(r.timedOut, `the child was still running after 60 s; stderr: ${r.stderr}`).toBe(false)
    expect(r.code, r.stderr).toBe(0) // it stopped allocating at critical: no OOM
    const start = r.lines.find((l) => l.event === 'start')!
    // The heap denominator: 64 MiB, not heap_size_limit (112 MiB).
    expect(start.limit).toBe(64 * 1024 * 1024)
    const levels = r.lines.filter((l) => l.event === 'level')
    const done = r.lines.find((l) => l.event === 'done')!
    expect(levels.length).toBeGreaterThanOrEqual(1)
    // Escalation may skip warning when GCs are sparse; the first change must be to warning or above.
    expect(['warning', 'critical', 'emergency']).toContain(levels[0]!.to)
    expect(['critical', 'emergency']).toContain(levels.at(-1)!.to)
    expect(done.level).toMatch(/critical|emergency/)
    // Every sample after the first came from a GC: the timer (60 s) cannot have fired yet.
    expect(done.elapsedMs).toBeLessThan(60_000)
    expect(levels[0]!.samples).toBeGreaterThan(1)
    expect(done.samples).toBeGreaterThan(levels[0]!.samples as number)
    expect(done.trend).toMatchObject({ points: expect.any(Number) })
    expect((done.trend as { points: number }).points).toBeGreaterThan(0) // major GCs recorded floors
    expect(r.lines.filter((l) => l.event === 'error')).toEqual([])
  }, 90_000)
})
