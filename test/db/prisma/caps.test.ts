// Every read capped by the level's take, however it is written: top-level findMany, include and
// select at several depths (to-one relations left alone), fluent relation reads, many-to-many,
// inside interactive and batch transactions. Each capped result is compared with the same read
// written with explicit takes on the bare client: the cap is the only change to a result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LEVELS, type Controller, type Level } from '../../../src/index.js'
import { heapguardPrisma, prismaStats } from '../../../src/prisma.js'
import { postgres } from '../../support/postgres.js'
import { openDatabase, SEEDED, testController, type Fixture } from '../helpers.js'

const TAKE = { normal: 20, warning: 10, critical: 5, emergency: 2 } as const
const asc = { id: 'asc' } as const

describe.skipIf(!postgres.available)('heapguardPrisma: one cap for every read', () => {
  let f: Fixture
  let pressure: Controller
  let logs: string[]
  let prisma: ReturnType<typeof extend>
  const extend = (p: Controller) =>
    f.prisma.$extends(heapguardPrisma(p, { take: TAKE, logger: { warn: (m: string) => logs.push(m) } }))

  beforeAll(async () => {
    f = await openDatabase('caps')
    pressure = testController().pressure
    logs = []
    prisma = extend(pressure)
  })
  afterAll(async () => {
    pressure?.close()
    await f?.close()
  })

  /** Runs `check` at every level, with the level forced. */
  async function atEveryLevel(check: (cap: number, level: Level) => Promise<void>): Promise<void> {
    for (const level of LEVELS) {
      pressure.force(level)
      await check(TAKE[level], level)
    }
    pressure.release()
  }

  it('caps a findMany without a take, or with a larger one, from either end; a smaller take stands', async () => {
    await atEveryLevel(async (cap) => {
      expect(await prisma.student.findMany({ orderBy: asc })).toEqual(
        await f.prisma.student.findMany({ orderBy: asc, take: cap }),
      )
      expect(await prisma.student.findMany({ orderBy: asc, take: cap + 7 })).toHaveLength(cap)
      // A negative take counts from the end: the cap keeps the last rows, in order.
      expect(await prisma.student.findMany({ orderBy: asc, take: -(cap + 7) })).toEqual(
        await f.prisma.student.findMany({ orderBy: asc, take: -cap }),
      )
      expect(await prisma.student.findMany({ orderBy: asc, take: 1, skip: 3 })).toEqual(
        await f.prisma.student.findMany({ orderBy: asc, take: 1, skip: 3 }),
      )
    })
  })

  it('caps to-many relations of include at every depth', async () => {
    await atEveryLevel(async (cap) => {
      const capped = await prisma.school.findMany({
        orderBy: asc,
        include: {
          classes: {
            orderBy: asc,
            include: { students: { orderBy: asc, include: { assessments: { orderBy: asc } } } },
          },
        },
      })
      const explicit = await f.prisma.school.findMany({
        orderBy: asc,
        take: cap,
        include: {
          classes: {
            orderBy: asc,
            take: cap,
            include: { students: { orderBy: asc, take: cap, include: { assessments: { orderBy: asc, take: cap } } } },
          },
        },
      })
      expect(capped).toEqual(explicit)
      expect(capped[0]!.classes[0]!.students[0]!.assessments).toHaveLength(Math.min(cap, SEEDED.assessmentsPerStudent))
    })
  })

  it('caps to-many relations of select at every depth and leaves to-one relations alone', async () => {
    await atEveryLevel(async (cap) => {
      const read = (take?: number) =>
        ({
          orderBy: asc,
          take: 2,
          select: {
            id: true,
            student: {
              select: {
                name: true,
                profile: { select: { bio: true } },
                class: {
                  select: {
                    school: { select: { name: true } },
                    students: {
                      orderBy: asc,
                      take,
                      select: { id: true, assessments: { orderBy: asc, take, select: { id: true } } },
                    },
                  },
                },
              },
            },
          },
        }) as const
      const capped = await prisma.assessment.findMany(read())
      expect(capped).toEqual(await f.prisma.assessment.findMany(read(cap)))
      expect(capped[0]!.student.class.students).toHaveLength(Math.min(cap, SEEDED.studentsPerClass))
      expect(capped[0]!.student.profile).toEqual({ bio: expect.any(String) })
    })
  })

  it('caps fluent relation reads, chained too', async () => {
    await atEveryLevel(async (cap) => {
      expect(await prisma.class.findUnique({ where: { id: 1 } }).students({ orderBy: asc })).toEqual(
        await f.prisma.class.findUnique({ where: { id: 1 } }).students({ orderBy: asc, take: cap }),
      )
      expect(await prisma.class.findUnique({ where: { id: 1 } }).students({ take: 1 })).toHaveLength(1)
      expect(await prisma.student.findUnique({ where: { id: 1 } }).profile()).toEqual(
        await f.prisma.student.findUnique({ where: { id: 1 } }).profile(),
      )
      expect(
        await prisma.assessment
          .findFirst({ where: { id: 1 } })
          .student()
          .assessments({ orderBy: asc }),
      ).toEqual(
        await f.prisma.assessment
          .findFirst({ where: { id: 1 } })
          .student()
          .assessments({ orderBy: asc, take: cap }),
      )
      const classes = await prisma.school.findUnique({ where: { id: 1 } }).classes({ include: { students: true } })
      for (const c of classes ?? []) expect(c.students).toHaveLength(Math.min(cap, SEEDED.studentsPerClass))
    })
  })

  it('caps both sides of a many-to-many relation', async () => {
    await atEveryLevel(async (cap) => {
      const tags = await prisma.tag.findMany({ include: { assessments: true } })
      expect(tags.length).toBe(Math.min(cap, SEEDED.tags))
      for (const tag of tags) expect(tag.assessments).toHaveLength(cap)
      const assessment = await prisma.assessment.findFirst({ where: { id: 1 }, include: { tags: true } })
      expect(assessment!.tags).toHaveLength(Math.min(cap, 2))
    })
  })

  it('caps reads inside interactive and batch transactions', async () => {
    await atEveryLevel(async (cap) => {
      const [students, fluent] = await prisma.$transaction(async (tx) => [
        await tx.student.findMany(),
        await tx.class.findUnique({ where: { id: 1 } }).students(),
      ])
      expect(students).toHaveLength(cap)
      expect(fluent).toHaveLength(cap)
      const [all, schools] = await prisma.$transaction([
        prisma.assessment.findMany(),
        prisma.school.findMany({ include: { classes: { include: { students: true } } } }),
      ])
      expect(all).toHaveLength(cap)
      for (const s of schools) for (const c of s.classes) expect(c.students).toHaveLength(cap)
    })
  })

  it('passes writes, counts and aggregates untouched, at emergency too', async () => {
    pressure.force('emergency')
    expect(await prisma.student.count()).toBe(SEEDED.students)
    expect((await prisma.assessment.aggregate({ _count: true, _max: { id: true } }))._count).toBe(SEEDED.assessments)
    expect(await prisma.student.groupBy({ by: ['classId'], _count: true, orderBy: { classId: 'asc' } })).toHaveLength(
      SEEDED.classes,
    )
    const updated = await prisma.class.update({
      where: { id: 1 },
      data: { name: 'Class 1' },
      include: { students: true },
    })
    expect(updated.students).toHaveLength(SEEDED.studentsPerClass)
    const withCount = await prisma.class.findFirst({
      where: { id: 1 },
      include: { _count: { select: { students: true } } },
    })
    expect(withCount!._count.students).toBe(SEEDED.studentsPerClass)
    pressure.release()
  })

  it('counts every cap by model and logs it once per model and call site', async () => {
    const before = prismaStats(pressure).models
    logs.length = 0
    pressure.force('critical')
    for (let i = 0; i < 3; i++) await prisma.student.findMany() // one call site, three caps
    await prisma.student.findMany() // another call site
    await prisma.class.findMany({ include: { students: true } }) // Class is not cut (12 > 5 is), Student is
    await prisma.student.findMany({ take: 2 }) // within the cap: not counted
    pressure.release()
    const after = prismaStats(pressure).models
    expect(after.Student!.capped - before.Student!.capped).toBe(5)
    expect(after.Class!.capped - before.Class!.capped).toBe(1)
    expect(after.Student!.reads - before.Student!.reads).toBe(5)
    expect(logs).toHaveLength(4) // Student at two sites, and Class and Student in the Class read
    expect(logs[0]).toMatch(
      /^heapguard\/prisma: Student\.findMany at .*caps\.test\.ts:\d+:\d+ was cut to 5 rows of Student \(the cap at level critical\)/,
    )
  })

  it("with onCap: 'throw', refuses a take above the cap before the database, and a read without a take that finds more", async () => {
    const strict = f.prisma.$extends(heapguardPrisma(pressure, { take: TAKE, onCap: 'throw' }))
    pressure.force('critical')
    const statements = await f.db.statements()
    await expect(strict.student.findMany({ take: 6 })).rejects.toThrow(
      new RangeError(
        "heapguardPrisma: Student.findMany asks for take 6, above the cap of 5 rows at level 'critical' (onCap: 'throw'): ask for at most 5, or read within uncapped()",
      ),
    )
    await expect(strict.class.findMany({ take: 1, include: { students: { take: 50 } } })).rejects.toThrow(
      /the relation Class\.students asks for take 50, above the cap of 5/,
    )
    expect(await f.db.statements()).toBe(statements)
    await expect(strict.student.findMany()).rejects.toThrow(
      "heapguardPrisma: a Student.findMany read found more than 5 rows of Student without a take (onCap: 'throw')",
    )
    expect(await strict.school.findMany()).toHaveLength(SEEDED.schools) // 3 rows: within the cap
    expect(await strict.student.findMany({ take: 5 })).toHaveLength(5)
    pressure.release()
  })
})
