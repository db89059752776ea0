// Runs a fixture from test/fixtures in a child Node process, for the tests where the behaviour of
// a whole process is the point (exit codes, signals, timers that must not hold the loop open,
// heap snapshots). Fixtures import the BUILT library, dist/ (`npm test` builds it; by hand: `npx tsup`).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

export function requireBuild(): void {
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url))
  if (!existsSync(dist)) throw new Error(`build the library first (npx tsup): ${dist} is missing`)
}

export type Line = Record<string, unknown> & { event?: string }

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /** Killed by the harness after the deadline. */
  timedOut: boolean
  ms: number
}

export interface Fixture {
  child: ChildProcess
  lines: Line[]
  stderr(): string
  /** Resolves with the first line of this event (rejects if the process ends first). */
  waitFor(event: string): Promise<Line>
  exited: Promise<Exit>
}

/** Starts `node [nodeArgs] fixture [args]`; the child is killed after `timeoutMs` instead of hanging the suite. */
export function startFixture(
  name: string,
  {
    args = [],
    nodeArgs = [],
    cwd,
    timeoutMs = 20_000,
  }: { args?: string[]; nodeArgs?: string[]; cwd?: string; timeoutMs?: number } = {},
): Fixture {
  const started = Date.now()
  const child = spawn(process.execPath, [...nodeArgs, fixturePath(name), ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  const lines: Line[] = []
  const waiters: { event: string; resolve: (l: Line) => void; reject: (e: Error) => void }[] = []
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    let nl: number
    while ((nl = stdout.indexOf('\n')) !== -1) {
      const text = stdout.slice(0, nl)
      stdout = stdout.slice(nl + 1)
      if (text.trim() === '') continue
      const line = JSON.parse(text) as Line
      lines.push(line)
      for (const w of waiters.filter((w) => w.event === line.event)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  const exited = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      for (const w of waiters.splice(0))
        w.reject(new Error(`the fixture ended before printing "${w.event}"; stderr: ${stderr}`))
      resolve({ code, signal, timedOut, ms: Date.now() - started })
    })
  })
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor(event) {
      const seen = lines.find((l) => l.event === event)
      if (seen) return Promise.resolve(seen)
      if (child.exitCode !== null || child.signalCode !== null)
        return Promise.reject(new Error(`the fixture has ended; stderr: ${stderr}`))
      return new Promise((resolve, reject) => waiters.push({ event, resolve, reject }))
    },
  }
}

export interface FixtureRun extends Exit {
  lines: Line[]
  stderr: string
  /** The first line of this event, if the fixture printed one. */
  event(name: string): Line | undefined
}

/** Runs a fixture to its end and collects its JSON lines (see `startFixture`). */
export async function runFixture(
  name: string,
  options: { args?: string[]; nodeArgs?: string[]; cwd?: string; timeoutMs?: number } = {},
): Promise<FixtureRun> {
  const fixture = startFixture(name, options)
  const exit = await fixture.exited
  const lines = fixture.lines
  return { ...exit, lines, stderr: fixture.stderr(), event: (e) => lines.find((l) => l.event === e) }
}
