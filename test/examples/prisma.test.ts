// The Prisma example (examples/prisma/server.mjs) as a program: the built library, the generated
// JavaScript client, a real PostgreSQL. Its three reads of the seeds' outages are capped, the export
// sees every row, the import works in batches; without heapguard the same read returns every row.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, postgres, type TestDatabase } from '../support/postgres.js'
import { requireBuild } from '../support/fixture-process.js'

const root = join(import.meta.dirname, '..', '..')

interface Server {
  base: string
  child: ChildProcess
  stderr: () => string
}

function startServer(url: string, args: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, ['examples/prisma/server.mjs', '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const m = /"port":(\d+)/.exec(out)
      if (m) resolve({ base: `http://127.0.0.1:${m[1]}`, child, stderr: () => stderr })
    })
    child.on('exit', (code) => reject(new Error(`the example exited with ${code}: ${stderr}`)))
  })
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init)
  return { status: response.status, body: await response.json() }
}

describe.skipIf(!postgres.available)('examples/prisma', () => {
  let db: TestDatabase
  let url: string
  const servers: Server[] = []

  beforeAll(async () => {
    requireBuild()
    db = await createDatabase('example')
    const { host, user, database } = db.connection
    url = `postgresql://${user}@localhost/${database}?host=${encodeURIComponent(host)}`
  })
  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGTERM')
    await Promise.all(
      servers.map(
        (s) => new Promise((resolve) => (s.child.exitCode === null ? s.child.on('exit', resolve) : resolve(null))),
      ),
    )
    await db?.drop()
  })

  it('caps the unbounded read, lets the export see every row, imports in batches', async () => {
    const server = await startServer(url)
    servers.push(server)
    const capped = await json(`${server.base}/assessments`)
    expect(capped.status).toBe(200)
    expect(capped.body).toHaveLength(1000)
    const schools = await json(`${server.base}/schools`)
    expect(schools.body).toHaveLength(3)
    expect(schools.body[0].classes[0].students[0].assessments).toHaveLength(25)
    const exported = await json(`${server.base}/export`)
    expect(exported.body).toHaveLength(9000)
    expect(await json(`${server.base}/import?n=50`, { method: 'POST' })).toEqual({
      status: 200,
      body: { imported: 50 },
    })
    expect((await json(`${server.base}/healthz`)).status).toBe(200)
    // On stderr: the cap, logged once with its call site (beside the notice of a machine without a container limit).
    await json(`${server.base}/assessments`)
    const lines = server
      .stderr()
      .split('\n')
      .filter((l) => l !== '' && !/HEAPGUARD_NO_CONTAINER_LIMIT|--trace-warnings/.test(l))
    expect(lines).toEqual([
      expect.stringMatching(
        /^heapguard\/prisma: Assessment\.findMany at file:.*examples\/prisma\/server\.mjs:\d+:\d+ was cut to 1000 rows of Assessment \(the cap at level normal\)/,
      ),
    ])
  })

  it('returns every row without heapguard', async () => {
    const server = await startServer(url, ['--no-heapguard'])
    servers.push(server)
    expect((await json(`${server.base}/assessments`)).body).toHaveLength(9050)
  })
})
