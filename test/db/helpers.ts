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

export const MiB = 1024 * 1024

/** A heap the test sets: reservations count against it (the line of `normal` work is 0.95 of `limit`). */
export interface ScriptedHeap {
  used: number
  limit: number
}

/**
 * A controller driven by the test: a scripted `heap` source (10 MiB used of 1 GiB unless set),
 * no timer, no GC observer; levels are forced. Errors it reports are collected.
 */
export function testController(options: ControllerOptions = {}): {
  pressure: Controller
  heap: ScriptedHeap
  errors: unknown[]
} {
  const heap: ScriptedHeap = { used: 10 * MiB, limit: 1024 * MiB }
  const pressure = createController({
    sources: [{ name: 'heap', read: () => ({ used: heap.used, limit: heap.limit }) }],
    autoStart: false,
    logger: {},
    ...options,
  })
  const errors: unknown[] = []
  pressure.on('error', (error) => errors.push(error))
  return { pressure, heap, errors }
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
