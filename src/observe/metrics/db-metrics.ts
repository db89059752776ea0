import type { ModelCounters, PoolGauges } from '../../db/counters.js'
import { unlabelled, type MetricDef } from './metric-def.js'

// The rows of the metric table for heapguard/prisma and heapguard/pg (docs/databases.md): read
// from the controller's database counters (db/counters.ts), absent when no database adapter was
// given the controller. Labels are model names from the schema and pool names from the
// application: both bounded.

function perModel(name: string, help: string, type: MetricDef['type'], field: keyof ModelCounters): MetricDef {
  return {
    name,
    help,
    type,
    labelNames: ['model'],
    read: (p, emit) => {
      for (const [model, counters] of p.database()?.models ?? []) emit({ model }, counters[field])
    },
  }
}

function perPool(name: string, help: string, field: keyof PoolGauges): MetricDef {
  return {
    name,
    help,
    type: 'gauge',
    labelNames: ['pool'],
    read: (p, emit) => {
      for (const [pool, gauges] of p.poolGauges()) emit({ pool }, gauges[field])
    },
  }
}

export const DB_METRICS: readonly MetricDef[] = [
  perModel(
    'db_reads_total',
    'Prisma reads (findMany, findFirst, findUnique) heapguardPrisma saw, by model.',
    'counter',
    'reads',
  ),
  perModel(
    'db_rows_capped_total',
    'Prisma reads whose rows the cap cut short, by the model of the rows cut.',
    'counter',
    'capped',
  ),
  perModel(
    'db_reads_refused_total',
    'Prisma reads refused before they ran, their reservation not fitting, by model.',
    'counter',
    'refused',
  ),
  {
    ...perModel(
      'db_row_bytes',
      'Heap bytes a row of each model is estimated at (the rowBytes option, or learnt from the rows read).',
      'gauge',
      'rowBytes',
    ),
    unit: 'By',
  },
  unlabelled(
    'db_prisma_clients',
    'Prisma clients extended by heapguardPrisma with this controller and not yet collected (more than 1 is usually a mistake).',
    'gauge',
    (p) => p.database()?.prismaClients,
  ),
  perPool(
    'db_pool_max_connections',
    'The most clients each managed pg.Pool may open now (its max at the level).',
    'max',
  ),
  perPool('db_pool_total_connections', 'Clients each managed pg.Pool has open.', 'total'),
  perPool('db_pool_idle_connections', 'Open clients of each managed pg.Pool that are idle.', 'idle'),
  perPool('db_pool_waiting_requests', 'Checkouts waiting for a client of each managed pg.Pool.', 'waiting'),
]
