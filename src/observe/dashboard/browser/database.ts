// The databases card: Prisma reads by model (capped, refused, bytes a row) and the managed pools.
import type { DashboardState } from '../state.js'
import { byId, cell, fillBody, row } from './dom.js'
import { bytes } from './format.js'

export function renderDatabase(state: DashboardState): void {
  const db = state.database
  byId('database').hidden = db === null
  if (db === null) return
  byId('database-clients').textContent = `${db.clients} Prisma client${db.clients === 1 ? '' : 's'}`
  const models = db.models.map((m) =>
    row(
      [
        cell(m.model),
        cell(String(m.reads), 'num'),
        cell(String(m.capped), m.capped > 0 ? 'num off' : 'num'),
        cell(String(m.refused), 'num'),
        cell(m.rowBytes > 0 ? bytes(m.rowBytes) : '\u2014', 'num'),
      ],
      { 'data-model': m.model },
    ),
  )
  fillBody('db-models-body', models, 5, 'no Prisma read yet')
  const pools = db.pools.map((p) =>
    row(
      [
        cell(p.pool),
        cell(String(p.max), 'num'),
        cell(String(p.total), 'num'),
        cell(String(p.idle), 'num'),
        cell(String(p.waiting), 'num'),
      ],
      { 'data-pool': p.pool },
    ),
  )
  fillBody('db-pools-body', pools, 5, 'no managed pool')
}
