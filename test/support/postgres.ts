// The PostgreSQL of the database tests (started by postgres-setup.mjs, the vitest global setup):
// whether it runs, and a database of their own for each test file, cloned from the template that
// holds the example's tables and rows (examples/prisma/seed.mjs: 3 schools, 12 classes,
// 360 students, 9,000 assessments).
import pg from 'pg'
import { inject } from 'vitest'
import { HOW_TO_ENABLE } from './postgres-cluster.mjs'
import { requirement, type Requirement } from './machine.js'

export interface PostgresInfo {
  available: boolean
  reason: string
  host?: string
  user?: string
  template?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresInfo
  }
}

const info = inject('postgres')

/** Use with `describe.skipIf(!postgres.available)`: skipped with one line here, an error under CI=true. */
export const postgres: Requirement = requirement(
  'PostgreSQL',
  info.available,
  info.available ? '' : `${info.reason.split('\n')[0]} (${HOW_TO_ENABLE})`,
)

/** Where a pg Pool or Client connects: the socket folder, the user and the database. */
export interface Connection {
  host: string
  user: string
  database: string
}

export interface TestDatabase {
  readonly name: string
  readonly connection: Connection
  /** Statements the server has executed in this database (pg_stat_statements), optionally only those whose text matches `like`. */
  statements(like?: string): Promise<number>
  drop(): Promise<void>
}

function admin(): pg.Client {
  return new pg.Client({ host: info.host, user: info.user, database: 'postgres' })
}

let serial = 0

/** A fresh copy of the template database for one test file (named after it, plus a counter). */
export async function createDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label.replace(/\W+/g, '_').toLowerCase()}_${process.pid}_${++serial}`
  const client = admin()
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${info.template!}`)
  } finally {
    await client.end()
  }
  const connection = { host: info.host!, user: info.user!, database: name }
  return {
    name,
    connection,
    async statements(like?: string): Promise<number> {
      const c = admin()
      await c.connect()
      try {
        const { rows } = await c.query<{ calls: string | null }>(
          `SELECT sum(calls) AS calls FROM pg_stat_statements
           WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND ($2::text IS NULL OR query ILIKE $2)`,
          [name, like ?? null],
        )
        return Number(rows[0]?.calls ?? 0)
      } finally {
        await c.end()
      }
    },
    async drop(): Promise<void> {
      const c = admin()
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}
