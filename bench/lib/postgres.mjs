// A throwaway PostgreSQL with one database holding the Prisma example's tables and rows
// (examples/prisma), for the database benchmarks; the example's Prisma clients generated first.
import pg from 'pg'
import { seed, shapeFor, SMALL } from '../../examples/prisma/seed.mjs'
import { startCluster } from '../../test/support/postgres-cluster.mjs'
import { generatePrismaClients } from '../../test/support/prisma-generate.mjs'

/**
 * Starts a cluster, creates `database` with `rows` assessments (the tests' 9,000 when omitted),
 * runs `fn({ host, user, database, url, seeded })` and removes the cluster, however `fn` ends.
 * Exits with a message when PostgreSQL cannot be started here.
 */
export async function withDatabase(database, rows, fn) {
  generatePrismaClients()
  const cluster = startCluster()
  if (!cluster.available) {
    console.error(`${database}: ${cluster.reason}`)
    process.exit(1)
  }
  try {
    const { host, user } = cluster
    const admin = new pg.Client({ host, user, database: 'postgres' })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    await admin.end()
    const db = new pg.Client({ host, user, database })
    await db.connect()
    const seeded = await seed(db, rows === undefined ? SMALL : shapeFor(rows))
    await db.end()
    const url = `postgresql://${user}@localhost/${database}?host=${encodeURIComponent(host)}`
    return await fn({ host, user, database, url, seeded })
  } finally {
    cluster.stop()
  }
}
