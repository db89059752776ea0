// managePool: a real pg.Pool whose max follows the level, with clients in use. Lowering ends the
// clients above the new max as they come free (idle ones at once); after pressure, max climbs back
// one client at a time; never below 2.
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Controller } from '../../../src/index.js'
import { managePool, MIN_POOL_MAX, type ManagedPool, type PoolChange } from '../../../src/pg.js'
import { postgres, type TestDatabase, createDatabase } from '../../support/postgres.js'
import { PrismaClient, testController } from '../helpers.js'

const MAX = { normal: 8, warning: 6, critical: 3, emergency: 2 }

describe('managePool: arguments', () => {
  const { pressure } = testController()
  const pool = new pg.Pool({ host: '/nonexistent', max: 10 }) // opens nothing until a checkout
  afterAll(async () => {
    pressure.close()
    await pool.end()
  })

  it.each([
    ['an object', {}, 'managePool: argument `pool` must be a pg.Pool'],
    ['a pg.Client', new pg.Client({ host: '/nonexistent' }), 'not a client or a wrapper'],
    ['null', null, 'got null'],
  ])('refuses %s as the pool', (_what, value, message) => {
    expect(() => managePool(pressure, value as never, { max: 10 })).toThrow(TypeError)
    expect(() => managePool(pressure, value as never, { max: 10 })).toThrow(message)
  })

  it.each([
    [undefined, TypeError, 'managePool: options must be an object with `max`'],
    [{}, TypeError, 'managePool: option `max` is required'],
    [{ max: 1 }, RangeError, 'managePool: option `max` must be an integer >= 2, got 1 (number)'],
    [{ max: { normal: 10, emergency: 1 } }, RangeError, 'option `max.emergency` must be an integer >= 2, got 1'],
    [{ max: { normal: 0 } }, RangeError, 'option `max.normal` must be an integer >= 2, got 0'],
    [
      { max: { normal: 10, warning: 4, critical: 6 } },
      RangeError,
      'managePool: option `max` must not grow with pressure: `max.critical` is 6, above `max.warning` 4',
    ],
    [{ max: 10, size: 3 }, TypeError, 'managePool: unknown option `size` (known: max, name, regrowMs, onChange)'],
    [{ max: 10, name: '' }, TypeError, 'option `name` must be a non-empty string'],
    [{ max: 10, regrowMs: -1 }, RangeError, 'option `regrowMs` must be a finite number >= 0'],
    [{ max: 10, onChange: 'log' }, TypeError, 'option `onChange` must be a function'],
  ])('refuses options %j', (options, kind, message) => {
    expect(() => managePool(pressure, pool, options as never)).toThrow(kind)
    expect(() => managePool(pressure, pool, options as never)).toThrow(message)
  })

  it('refuses a second manager for a pool, and a second pool under the same name', () => {
    const first = managePool(pressure, pool, { max: 10 })
    expect(() => managePool(pressure, pool, { max: 10, name: 'other' })).toThrow(
      'managePool: this pool is already managed',
    )
    const another = new pg.Pool({ host: '/nonexistent' })
    expect(() => managePool(pressure, another, { max: 10 })).toThrow(
      'managePool: this controller already manages a pool named "main" (string)',
    )
    first.stop()
    managePool(pressure, another, { max: 10 }).stop()
    void another.end()
  })

  it('never lets a level go below 2 clients', () => {
    expect(MIN_POOL_MAX).toBe(2)
  })
})

describe.skipIf(!postgres.available)('managePool with a real pg.Pool', () => {
  let db: TestDatabase
  let pressure: Controller
  let pool: pg.Pool | undefined
  let managed: ManagedPool | undefined
  let changes: PoolChange[]

  beforeAll(async () => {
    db = await createDatabase('pool')
  })
  afterEach(async () => {
    managed?.stop()
    managed = undefined
    pressure?.close()
    await pool?.end()
    pool = undefined
  })
  afterAll(async () => {
    await db?.drop()
  })

  function start(regrowMs = 0): pg.Pool {
    pressure = testController().pressure
    const p = (pool = new pg.Pool({ ...db.connection, max: 10 }))
    changes = []
    managed = managePool(pressure, p, { max: MAX, regrowMs, onChange: (c) => changes.push(c) })
    return p
  }

  const checkOut = (p: pg.Pool, n: number) => Promise.all(Array.from({ length: n }, () => p.connect()))

  it('sets the max of the level now at once and follows the level, force() included', () => {
    const pool = start()
    expect(pool.options.max).toBe(MAX.normal)
    pressure.force('critical')
    expect(pool.options.max).toBe(MAX.critical)
    pressure.force('emergency')
    expect(pool.options.max).toBe(MAX.emergency)
    expect(changes.map((c) => [c.from, c.to, c.level])).toEqual([
      [10, 8, 'normal'],
      [8, 3, 'critical'],
      [3, 2, 'emergency'],
    ])
  })

  it('ends clients above the new max as they come free, before the checkouts that wait', async () => {
    const pool = start()
    const held = await checkOut(pool, 6)
    expect(pool.totalCount).toBe(6)
    pressure.force('critical')
    expect(managed!.stats()).toEqual({ max: 3, total: 6, idle: 0, waiting: 0 }) // its own checkouts are not shown as waiting
    let served = false
    const waiting = pool.connect().then((client) => {
      served = true
      return client
    })
    expect(managed!.stats().waiting).toBe(1)
    for (const [i, total] of [5, 4, 3].entries()) {
      held[i]!.release()
      await vi.waitFor(() => expect(pool.totalCount).toBe(total))
      expect(served).toBe(false)
    }
    held[3]!.release() // now a client comes free for the waiting checkout
    const client = await waiting
    expect(pool.totalCount).toBe(3)
    client.release()
    for (const c of held.slice(4)) c.release()
    // From here on no more than 3 work at once.
    let most = 0
    pool.on('acquire', () => (most = Math.max(most, pool.totalCount)))
    await Promise.all(Array.from({ length: 12 }, () => pool.query('SELECT pg_sleep(0.01)')))
    expect(most).toBeLessThanOrEqual(3)
    expect(pool.totalCount).toBeLessThanOrEqual(3)
  })

  it('ends idle clients above the new max at once', async () => {
    const pool = start()
    for (const c of await checkOut(pool, 6)) c.release()
    expect(pool.idleCount).toBe(6)
    pressure.force('emergency')
    await vi.waitFor(() => expect(pool.totalCount).toBe(2))
    expect(pool.idleCount).toBe(2)
    expect(await pool.query('SELECT 1 AS one')).toMatchObject({ rows: [{ one: 1 }] })
  })

  it('climbs back one client at a time after pressure, and drops at once if pressure returns', async () => {
    const pool = start(60)
    pressure.force('emergency')
    changes.length = 0
    pressure.release() // the measured level is normal: max climbs from 2 to 8
    expect(pool.options.max).toBe(2)
    await vi.waitFor(() => expect(pool.options.max).toBeGreaterThanOrEqual(5))
    pressure.force('critical')
    expect(pool.options.max).toBe(3)
    pressure.release()
    await vi.waitFor(() => expect(pool.options.max).toBe(8))
    const steps = changes.map((c) => c.to - c.from)
    expect(steps.filter((s) => s < 0)).toHaveLength(1) // the drop to critical's 3
    expect(steps.filter((s) => s > 0).every((s) => s === 1)).toBe(true)
  })

  it('gives the pool its normal max back on stop(), and no longer follows the level', () => {
    const pool = start()
    pressure.force('emergency')
    managed!.stop()
    expect(pool.options.max).toBe(MAX.normal)
    pressure.force('critical')
    expect(pool.options.max).toBe(MAX.normal)
    managed!.stop()
  })

  it('keeps @prisma/adapter-pg working at 2 clients, where a transaction also queries through the outer client', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg(start()) })
    try {
      pressure.force('emergency')
      const counted = await prisma.$transaction(
        async (tx) => {
          await tx.student.findFirst()
          return prisma.student.count() // another client of the pool
        },
        { timeout: 10_000 },
      )
      expect(counted).toBe(360)
    } finally {
      await prisma.$disconnect()
    }
  })

  it('shows why the least is 2: with 1 client that transaction waits on itself until it times out (P2028)', async () => {
    const single = (pool = new pg.Pool({ ...db.connection, max: 1 }))
    const prisma = new PrismaClient({ adapter: new PrismaPg(single) })
    try {
      const stuck = prisma.$transaction(
        async (tx) => {
          await tx.student.findFirst()
          return prisma.student.count()
        },
        { timeout: 300, maxWait: 300 },
      )
      await expect(stuck).rejects.toMatchObject({ code: 'P2028' })
    } finally {
      await prisma.$disconnect()
    }
  })
})
