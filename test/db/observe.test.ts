// The database counters as the metrics (prom-client, the text endpoint) and the dashboard show
// them: caps by model, refusals, bytes a row, clients, and each managed pool's gauges.
import pg from 'pg'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Controller } from '../../src/index.js'
import { managePool } from '../../src/pg.js'
import { collectMetrics } from '../../src/prometheus.js'
import { heapguardPrisma } from '../../src/prisma.js'
import { dashboardHandler, metricsHandler } from '../../src/web.js'
import { postgres } from '../support/postgres.js'
import { MiB, openDatabase, testController, type Fixture } from './helpers.js'

const TOKEN = 'a-token-of-sixteen-characters'

async function metricsText(pressure: Controller): Promise<string[]> {
  const text = await metricsHandler(pressure)(new Request('http://localhost/metrics')).text()
  return text.split('\n').filter((line) => line.startsWith('db_'))
}

async function dashboardState(pressure: Controller): Promise<Record<string, unknown>> {
  const response = dashboardHandler(pressure, { token: TOKEN })(
    new Request('http://localhost/ops?format=json', { headers: { authorization: `Bearer ${TOKEN}` } }),
  )
  return ((await response.json()) as { state: Record<string, unknown> }).state
}

describe('database metrics without a database adapter', () => {
  it('are absent, and the dashboard shows no databases', async () => {
    const { pressure } = testController()
    expect(await metricsText(pressure)).toEqual([])
    expect(await dashboardState(pressure)).toMatchObject({ database: null })
    pressure.close()
  })
})

describe.skipIf(!postgres.available)('database metrics and the dashboard', () => {
  let f: Fixture
  let pressure: Controller
  let pool: pg.Pool

  beforeAll(async () => {
    f = await openDatabase('observe')
    const t = testController()
    pressure = t.pressure
    pool = new pg.Pool({ ...f.db.connection, max: 10 })
    managePool(pressure, pool, { max: { normal: 6, critical: 3 }, name: 'reports', regrowMs: 0 })
    const prisma = f.prisma.$extends(
      heapguardPrisma(pressure, { take: 10, rowBytes: { Tag: 500_000_000 }, logger: {} }),
    )
    await prisma.student.findMany()
    await prisma.student.findMany({ take: 5 })
    await prisma.class.findMany({ include: { students: true } })
    t.heap.used = 600 * MiB
    await prisma.tag.findMany().catch(() => {})
    t.heap.used = 10 * MiB
    for (const c of await Promise.all([pool.connect(), pool.connect()])) c.release()
  })
  afterAll(async () => {
    pressure?.close()
    await pool?.end()
    await f?.close()
  })

  it('publishes reads, caps, refusals and bytes a row by model, the clients and the pool gauges', async () => {
    const lines = await metricsText(pressure)
    expect(lines).toEqual(
      expect.arrayContaining([
        'db_reads_total{model="Student"} 2',
        'db_reads_total{model="Class"} 1',
        'db_rows_capped_total{model="Student"} 2',
        'db_rows_capped_total{model="Class"} 1',
        'db_reads_refused_total{model="Tag"} 1',
        'db_row_bytes{model="Tag"} 500000000',
        'db_prisma_clients 1',
        'db_pool_max_connections{pool="reports"} 6',
        'db_pool_total_connections{pool="reports"} 2',
        'db_pool_idle_connections{pool="reports"} 2',
        'db_pool_waiting_requests{pool="reports"} 0',
      ]),
    )
    expect(lines.find((l) => l.startsWith('db_row_bytes{model="Student"}'))).toMatch(/ [1-9]\d+$/)
    pressure.force('critical')
    expect(await metricsText(pressure)).toContain('db_pool_max_connections{pool="reports"} 3')
    pressure.release()
  })

  it('registers the same families with prom-client', async () => {
    const registry = new Registry()
    collectMetrics(pressure, { registry, prefix: 'shop_' })
    const text = await registry.metrics()
    expect(text).toContain('# TYPE shop_db_rows_capped_total counter')
    expect(text).toContain('shop_db_rows_capped_total{model="Student"} 2')
    expect(text).toContain('# TYPE shop_db_pool_total_connections gauge')
  })

  it('shows the models and the pools on the dashboard', async () => {
    const state = await dashboardState(pressure)
    expect(state.database).toMatchObject({
      clients: 1,
      models: expect.arrayContaining([
        expect.objectContaining({ model: 'Student', reads: 2, capped: 2, refused: 0 }),
        expect.objectContaining({ model: 'Tag', refused: 1, rowBytes: 500_000_000 }),
      ]),
      pools: [{ pool: 'reports', max: 6, total: 2, idle: 2, waiting: 0 }],
    })
  })
})
