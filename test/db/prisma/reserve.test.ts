// Reads reserve `rows × bytes a row` before they run: a read that does not fit is refused with a
// ShedError before the database receives a statement (counted by pg_stat_statements), a read that
// throws gives its reservation back, and the estimate follows what reads have shown.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ShedError, type Controller } from '../../../src/index.js'
import { heapguardPrisma, prismaStats, uncapped } from '../../../src/prisma.js'
import { withPressure } from '../../../src/web.js'
import { postgres } from '../../support/postgres.js'
import { MiB, openDatabase, SEEDED, testController, type Fixture, type ScriptedHeap } from '../helpers.js'

describe.skipIf(!postgres.available)('heapguardPrisma: reads reserve before they run', () => {
  let f: Fixture
  let pressure: Controller
  let heap: ScriptedHeap
  let errors: unknown[]

  beforeAll(async () => {
    f = await openDatabase('reserve')
    ;({ pressure, heap, errors } = testController())
  })
  afterAll(async () => {
    pressure?.close()
    await f?.close()
  })
  afterEach(() => {
    heap.used = 10 * MiB
  })
  /** Rows of Assessment read (their SELECT names the body column; a count does not). */
  const rowReads = () => f.db.statements('%"Assessment"."body"%')

  /** The bytes and priority of every reservation made while `fn` runs. */
  async function reservations<T>(
    fn: () => Promise<T>,
  ): Promise<{ result: T; made: { bytes: number; priority: unknown }[] }> {
    const made: { bytes: number; priority: unknown }[] = []
    const reserve = pressure.reserve.bind(pressure)
    const spy = vi.spyOn(pressure, 'reserve').mockImplementation((bytes, options) => {
      made.push({ bytes, priority: options?.priority })
      return reserve(bytes, options)
    })
    try {
      return { result: await fn(), made }
    } finally {
      spy.mockRestore()
    }
  }

  it('reserves the capped rows times the bytes a row, at the priority given, and releases it after the read', async () => {
    const prisma = f.prisma.$extends(
      heapguardPrisma(pressure, { take: 100, rowBytes: { Assessment: 1000 }, priority: 'high', reserveAbove: 0 }),
    )
    const { result, made } = await reservations(() => prisma.assessment.findMany())
    expect(result).toHaveLength(100)
    // A read holds its rows about one and a half times while it runs (the driver's copy too).
    expect(made).toEqual([{ bytes: 1.5 * 100 * 1000, priority: 'high' }])
    const one = await reservations(() => prisma.assessment.findUnique({ where: { id: 7 } }))
    expect(one.made).toEqual([{ bytes: 1.5 * 1000, priority: 'high' }])
    expect(pressure.reservations.stats().active).toBe(0)
  })

  it('lets reads estimated below reserveAbove run without a reservation (64 KiB by default)', async () => {
    const prisma = f.prisma.$extends(heapguardPrisma(pressure, { take: 1000, rowBytes: { Assessment: 1000 } }))
    const small = await reservations(() => prisma.assessment.findMany({ take: 40 })) // 60 kB
    expect(small.made).toEqual([])
    expect(small.result).toHaveLength(40)
    const large = await reservations(() => prisma.assessment.findMany({ take: 50 })) // 75 kB
    expect(large.made).toEqual([{ bytes: 75_000, priority: 'normal' }])
  })

  it('refuses a read that does not fit with a ShedError before the database receives a statement', async () => {
    const prisma = f.prisma.$extends(heapguardPrisma(pressure, { take: 1000, rowBytes: { Assessment: 300_000 } }))
    heap.used = 700 * MiB // 0.68 of the limit: 1,000 rows of 300 kB, reserved 1.5 times (another 0.42), pass the line of 0.95
    const [before, rowsBefore] = [await f.db.statements(), await rowReads()]
    const refusedBefore = prismaStats(pressure).models.Assessment?.refused ?? 0
    const error = await prisma.assessment.findMany().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ShedError)
    expect(error).toMatchObject({ reason: 'memory', priority: 'normal' })
    await expect(prisma.$transaction([prisma.assessment.findMany()])).rejects.toBeInstanceOf(ShedError)
    await expect(prisma.$transaction(async (tx) => tx.assessment.findMany())).rejects.toBeInstanceOf(ShedError)
    // No read reached the server; the interactive transaction's BEGIN and ROLLBACK did.
    expect(await rowReads()).toBe(rowsBefore)
    expect((await f.db.statements()) - before).toBeLessThanOrEqual(2)
    expect(prismaStats(pressure).models.Assessment!.refused - refusedBefore).toBe(3)
    // A smaller read fits, and is seen by the server.
    expect(await prisma.assessment.findMany({ take: 10 })).toHaveLength(10)
    expect(await rowReads()).toBe(rowsBefore + 1)
  })

  it('hands a refusal inside a withPressure handler to the adapter as a ShedError (the 503 of contract section 6)', async () => {
    const prisma = f.prisma.$extends(heapguardPrisma(pressure, { rowBytes: { Assessment: 300_000 } }))
    heap.used = 700 * MiB
    const handler = withPressure(async () => Response.json(await prisma.assessment.findMany()), { pressure })
    const outcome = await handler(new Request('http://localhost/assessments')).catch((error: unknown) => error)
    // withPressure answers a ShedError raised inside the handler with 503 once issue 23 (item 8) lands;
    // until then it passes the error on unchanged, for the framework. Either way the read never ran.
    if (outcome instanceof Response) {
      expect(outcome.status).toBe(503)
      expect(outcome.headers.get('retry-after')).not.toBeNull()
    } else {
      expect(outcome).toBeInstanceOf(ShedError)
      expect(outcome).toMatchObject({ reason: 'memory' })
    }
  })

  it('gives the reservation back when the read throws, before or after the database', async () => {
    const prisma = f.prisma.$extends(heapguardPrisma(pressure))
    await expect(prisma.student.findUniqueOrThrow({ where: { id: -1 } })).rejects.toMatchObject({ code: 'P2025' })
    await expect(prisma.student.findMany({ where: { nope: 1 } as never })).rejects.toThrow(/Unknown argument `nope`/)
    expect(pressure.reservations.stats().active).toBe(0)
    expect(pressure.reserved).toBe(0)
  })

  it('asks a priority function for each read and refuses a read whose priority function fails', async () => {
    const asked: unknown[] = []
    const prisma = f.prisma.$extends(
      heapguardPrisma(pressure, {
        reserveAbove: 0,
        priority: (read) => {
          asked.push(read)
          return read.model === 'Assessment' ? 'low' : ('nonsense' as 'low')
        },
      }),
    )
    const { made } = await reservations(() => prisma.assessment.findFirst())
    expect(made[0]!.priority).toBe('low')
    expect(asked).toEqual([{ model: 'Assessment', operation: 'findFirst' }])
    errors.length = 0
    await expect(prisma.student.findFirst()).rejects.toThrow(
      "heapguardPrisma: option `priority` must return one of 'critical', 'high', 'normal', 'low', got \"nonsense\" (string) for Student.findFirst",
    )
    expect(errors).toHaveLength(1)
  })

  it('learns how many rows a relation brings a parent, and reserves for them', async () => {
    const prisma = f.prisma.$extends(
      heapguardPrisma(pressure, { take: 1000, rowBytes: { Class: 100, Student: 1000 }, reserveAbove: 0 }),
    )
    const read = () => prisma.class.findUnique({ where: { id: 2 }, include: { students: true } })
    const first = await reservations(read)
    expect(first.made[0]!.bytes).toBe(1.5 * (100 + 1 * 1000)) // a relation never read counts one row a parent
    const second = await reservations(read)
    expect(second.made[0]!.bytes).toBe(1.5 * (100 + SEEDED.studentsPerClass * 1000))
    // The cap bounds what is learnt: at 10 rows a list, 10 students are reserved for.
    pressure.force('critical')
    const capped = f.prisma.$extends(
      heapguardPrisma(pressure, {
        take: { normal: 1000, critical: 10 },
        rowBytes: { Class: 100, Student: 1000 },
        reserveAbove: 0,
      }),
    )
    await capped.class.findUnique({ where: { id: 2 }, include: { students: true } })
    const third = await reservations(() => capped.class.findUnique({ where: { id: 2 }, include: { students: true } }))
    expect(third.made[0]!.bytes).toBe(1.5 * (100 + 10 * 1000))
    pressure.release()
  })

  it('reserves for an uncapped read by its take, or by a count with the same filter first', async () => {
    const prisma = f.prisma.$extends(heapguardPrisma(pressure, { take: 5, rowBytes: { Assessment: 1000 } }))
    const counts = await f.db.statements('%count%')
    const byCount = await reservations(() =>
      uncapped(() => prisma.assessment.findMany({ where: { studentId: { lte: 4 } } })),
    )
    expect(byCount.result).toHaveLength(4 * SEEDED.assessmentsPerStudent)
    expect(byCount.made).toEqual([{ bytes: 1.5 * 100 * 1000, priority: 'normal' }])
    expect((await f.db.statements('%count%')) - counts).toBe(1)
    const byTake = await reservations(() => uncapped(() => prisma.assessment.findMany({ take: 300 })))
    expect(byTake.result).toHaveLength(300)
    expect(byTake.made).toEqual([{ bytes: 1.5 * 300 * 1000, priority: 'normal' }])
    expect((await f.db.statements('%count%')) - counts).toBe(1)
  })

  it('refuses an uncapped export that does not fit after its count, before any row is read', async () => {
    const prisma = f.prisma.$extends(heapguardPrisma(pressure, { rowBytes: { Assessment: 40_000 } }))
    heap.used = 700 * MiB // 9,000 rows of 40 kB, 1.5 times (0.5 of the limit), do not fit; 1,000 capped ones do
    const rowsBefore = await rowReads()
    await expect(uncapped(() => prisma.assessment.findMany())).rejects.toMatchObject({ reason: 'memory' })
    expect(await rowReads()).toBe(rowsBefore)
    expect(await prisma.assessment.findMany()).toHaveLength(1000)
  })

  it('reads a few rows first when an export is the first read of its model, and reserves by their size', async () => {
    // A fresh client: nothing learnt yet. Tag rows are small (about 90 bytes); the guess from the field types is close,
    // so this shows the sample by the statements it sends, and the size it reserves by.
    const prisma = f.prisma.$extends(heapguardPrisma(pressure, { reserveAbove: 0 }))
    const [limited, counts] = [await f.db.statements('%"Tag"%LIMIT%'), await f.db.statements('%count%"Tag"%')]
    const { made, result } = await reservations(() => uncapped(() => prisma.tag.findMany()))
    expect(result).toHaveLength(SEEDED.tags)
    expect((await f.db.statements('%count%"Tag"%')) - counts).toBe(1)
    expect((await f.db.statements('%"Tag"%LIMIT%')) - limited).toBe(1) // the sample: take 20
    expect(made).toHaveLength(1)
    const learnt = prismaStats(pressure).models.Tag!.rowBytes
    expect(made[0]!.bytes).toBe(Math.ceil(SEEDED.tags * learnt * 1.5))
    // Learnt once: the next export counts, and samples nothing.
    await uncapped(() => prisma.tag.findMany())
    expect((await f.db.statements('%"Tag"%LIMIT%')) - limited).toBe(1)
  })
})
