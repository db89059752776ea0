// vitest global setup: the PostgreSQL the database tests run against (test/support/postgres.ts
// reads what it provides). One throwaway cluster for the whole run, with a template database
// holding the example's tables and rows (examples/prisma); each test file clones it into a
// database of its own, so files never see each other's statements. Also generates the example's
// Prisma clients when they are stale. Without PostgreSQL it provides the reason, and the tests
// that need it skip (or fail under CI=true).
import pg from 'pg'
import { seed } from '../../examples/prisma/seed.mjs'
import { startCluster } from './postgres-cluster.mjs'
import { generatePrismaClients } from './prisma-generate.mjs'

export const TEMPLATE = 'heapguard_template'

export default async function setup(project) {
  generatePrismaClients()
  const started = Date.now()
  const cluster = startCluster()
  if (!cluster.available) {
    project.provide('postgres', { available: false, reason: cluster.reason })
    return
  }
  try {
    const admin = new pg.Client({ host: cluster.host, user: cluster.user, database: 'postgres' })
    await admin.connect()
    await admin.query('CREATE EXTENSION pg_stat_statements')
    await admin.query(`CREATE DATABASE ${TEMPLATE}`)
    await admin.end()
    const db = new pg.Client({ host: cluster.host, user: cluster.user, database: TEMPLATE })
    await db.connect()
    await seed(db)
    await db.end()
  } catch (error) {
    cluster.stop()
    throw error
  }
  project.provide('postgres', {
    available: true,
    reason: '',
    host: cluster.host,
    user: cluster.user,
    template: TEMPLATE,
    startMs: Date.now() - started,
  })
  return () => cluster.stop()
}
