// A database of the test file's own (a copy of the example's, examples/prisma/seed.mjs), a
// pg.Pool on it, and Prisma 7's client over @prisma/adapter-pg given that pool.
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaClient } from '../../examples/prisma/generated/ts/client.js'
import { createController, type Controller, type ControllerOptions } from '../../src/index.js'
import { createDatabase, type TestDatabase } from '../support/postgres.js'

export { PrismaClient }

export interface Fixture {
  db: TestDatabase
  pool: pg.Pool
  prisma: PrismaClient
  close(): Promise<void>
}

export async function openDatabase(label: string, poolMax = 10): Promise<Fixture> {
  const db = await createDatabase(label)
  const pool = new pg.Pool({ ...db.connection, max: poolMax })
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
  return {
    db,
    pool,
    prisma,
    async close() {
      await prisma.$disconnect()
      await pool.end()
      await db.drop()
    },
  }
}

/** A controller driven by the test: no timer, no GC observer; levels are forced. */
export function testController(options: ControllerOptions = {}): Controller {
  return createController({ autoStart: false, ...options })
}

/** What the example's seed holds (examples/prisma/seed.mjs, SMALL). */
export const SEEDED = {
  schools: 3,
  classesPerSchool: 4,
  classes: 12,
  studentsPerClass: 30,
  students: 360,
  assessmentsPerStudent: 25,
  assessments: 9000,
  tags: 6,
} as const
