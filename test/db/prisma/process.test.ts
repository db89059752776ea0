// Whole processes: the bytes a row learnt against the heap a row really holds (a child with
// --expose-gc), and two copies of heapguard in one process sharing one controller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runFixture, requireBuild } from '../../support/fixture-process.js'
import { createDatabase, postgres, type TestDatabase } from '../../support/postgres.js'

describe.skipIf(!postgres.available)('heapguardPrisma in whole processes', () => {
  let db: TestDatabase
  let args: string[]

  beforeAll(async () => {
    requireBuild()
    db = await createDatabase('process')
    args = [db.connection.host, db.connection.user, db.connection.database]
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('learns row sizes within 2x of the heap a row really holds', async () => {
    const run = await runFixture('db-row-bytes.mjs', { args, nodeArgs: ['--expose-gc'], timeoutMs: 60_000 })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const rows = run.lines.filter((l) => l.event === 'row')
    expect(rows.map((r) => r.name)).toEqual(['Assessment', 'Student', 'Student (in Class)'])
    for (const row of rows) {
      const ratio = (row.learnt as number) / (row.measured as number)
      expect(ratio, JSON.stringify(row)).toBeGreaterThanOrEqual(0.5)
      expect(ratio, JSON.stringify(row)).toBeLessThanOrEqual(2)
    }
  })

  it('serves a controller of one copy from the extension of another: caps, uncapped(), refusals, counters, metrics', async () => {
    const run = await runFixture('db-two-copies.mjs', { args, timeoutMs: 60_000 })
    expect(run.code, run.stderr).toBe(0)
    const copies = run.event('copies')!
    expect(copies).toMatchObject({ capped: 5, uncapped: 360, refusedAsShedError: true, statsAlike: true })
    expect(copies.metrics).toEqual(
      expect.arrayContaining([
        'db_rows_capped_total{model="Student"} 1',
        'db_reads_refused_total{model="Assessment"} 1',
        'db_reads_total{model="Student"} 2',
        'db_prisma_clients 1',
      ]),
    )
    const clients = run.event('clients')!
    expect(clients.clients).toBe(3)
    expect(clients.warnings).toEqual([
      {
        code: 'HEAPGUARD_PRISMA_CLIENTS',
        message: expect.stringMatching(/^heapguard\/prisma: 2 Prisma clients carry heapguardPrisma in this process/),
      },
    ])
  })
})
