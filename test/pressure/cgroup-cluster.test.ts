// Real processes in a real memory cgroup: the cluster example (examples/cluster/server.mjs, two
// workers with DEFAULT controllers) runs inside a cgroup of the test's own with a limit. One worker
// holds most of the memory off the heap (Buffers); the other's own heap and RSS stay small, yet its
// default controller must reach `warning` or above, because the defaults include cgroupSource()
// in a cgroup with a limit. Runs the BUILT library (dist/).
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryCgroup, memoryCgroupSupport, type TestCgroup } from '../support/cgroup.js'
import { requireBuild } from '../support/fixture-process.js'

const MiB = 1024 * 1024
const root = join(import.meta.dirname, '..', '..')
const support = memoryCgroupSupport()

beforeAll(requireBuild)

let cgroup: TestCgroup | undefined
afterEach(async () => {
  const problem = await cgroup?.remove()
  cgroup = undefined
  if (problem !== undefined) throw new Error(problem)
})

type Line = Record<string, unknown> & { event: string; pid?: number; to?: string }

function post(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe.skipIf(!support.available)('two processes sharing a memory cgroup (cluster workers)', () => {
  it('the worker that holds nothing reaches warning or above with default options', async () => {
    const limit = 400 * MiB
    cgroup = createMemoryCgroup(support.version!, support.parent!, limit)
    // The shell moves itself into the cgroup, then becomes node: everything it forks starts inside.
    const primary = spawn(
      '/bin/sh',
      [
        '-c',
        `echo $$ > "${cgroup.procs}" && exec "$0" "$@"`,
        process.execPath,
        'examples/cluster/server.mjs',
        '--workers',
        '2',
        '--port',
        '0',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    )
    const lines: Line[] = []
    let stderr = ''
    let waiting: { test: (l: Line) => boolean; resolve: (l: Line) => void } | undefined
    let buffer = ''
    primary.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffer += d
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as Line
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        if (waiting?.test(line)) waiting.resolve(line)
      }
    })
    primary.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<void>((resolve) => primary.on('close', () => resolve()))
    const next = (test: (l: Line) => boolean, what: string, ms = 30_000) =>
      new Promise<Line>((resolve, reject) => {
        const seen = lines.find(test)
        if (seen) return resolve(seen)
        const timer = setTimeout(
          () => reject(new Error(`no ${what} within ${ms} ms; lines: ${JSON.stringify(lines)}; stderr: ${stderr}`)),
          ms,
        )
        waiting = {
          test,
          resolve: (l) => {
            clearTimeout(timer)
            resolve(l)
          },
        }
      })
    try {
      const { port } = (await next((l) => l.event === 'listening', 'listening line')) as Line & { port: number }
      const started = lines.filter((l) => l.event === 'started')
      expect(started).toHaveLength(2)
      // Inside a cgroup with a limit, the defaults are heap + rss + cgroup.
      for (const s of started) expect(Object.keys(s.sources as object).sort()).toEqual(['cgroup', 'heap', 'rss'])

      // Fill the cgroup to 80 % of its limit, off the heap, in one worker.
      const mb = Math.floor((0.8 * limit - cgroup.workingSet()) / MiB)
      expect(mb).toBeGreaterThan(100) // most of the memory
      const upload = await post(port, `/upload?mb=${mb}`)
      expect(upload.status).toBe(200)
      const holder = upload.body.pid as number

      const raised = await next(
        (l) => l.event === 'level' && l.pid !== holder && ['warning', 'critical', 'emergency'].includes(l.to!),
        'level change of the worker that holds nothing',
      )
      const sources = raised.sources as Record<string, number>
      // What raised it is the container's working set: its own heap and RSS are far from any line.
      expect(sources.cgroup).toBeGreaterThanOrEqual(0.7)
      expect(sources.heap).toBeLessThan(0.5)
      expect(sources.rss).toBeLessThan(0.5)
    } finally {
      primary.kill('SIGTERM')
      await exited
    }
  }, 90_000)
})
