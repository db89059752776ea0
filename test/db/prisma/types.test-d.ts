// The extended client keeps Prisma's model and result types (tsconfig: strict): heapguardPrisma
// adds no member and changes no type, with Prisma 7's generated TypeScript client.
import { PrismaPg } from '@prisma/adapter-pg'
import { describe, expectTypeOf, it } from 'vitest'
import {
  PrismaClient,
  type Assessment,
  type Profile,
  type Student,
} from '../../../examples/prisma/generated/ts/client.js'
import { createController } from '../../../src/index.js'
import {
  heapguardPrisma,
  uncapped,
  type HeapguardPrismaExtension,
  type PrismaStats,
  prismaStats,
} from '../../../src/prisma.js'

const pressure = createController({ autoStart: false })
const bare = new PrismaClient({ adapter: new PrismaPg({ host: '/nowhere' }) })
const prisma = bare.$extends(
  heapguardPrisma(pressure, { take: { normal: 1000, critical: 50 }, rowBytes: { Assessment: 600 } }),
)

describe('the extended client', () => {
  it('returns the rows of every read with the types the bare client gives them', () => {
    const include = { include: { assessments: { include: { tags: true } }, profile: true } } as const
    expectTypeOf(prisma.student.findMany(include)).resolves.toEqualTypeOf<
      Awaited<ReturnType<typeof bare.student.findMany<typeof include>>>
    >()
    expectTypeOf<
      Awaited<ReturnType<typeof prisma.student.findMany<typeof include>>>[number]['assessments'][number]['score']
    >().toEqualTypeOf<number>()
    expectTypeOf<
      Awaited<ReturnType<typeof prisma.student.findMany<typeof include>>>[number]['profile']
    >().toEqualTypeOf<Profile | null>()
    expectTypeOf(prisma.assessment.findMany()).resolves.toEqualTypeOf<Assessment[]>()
  })

  it('keeps select, fluent reads, counts and transactions typed', async () => {
    const picked = await prisma.student.findUnique({
      where: { id: 1 },
      select: { name: true, class: { select: { students: { select: { id: true } } } } },
    })
    expectTypeOf(picked).toEqualTypeOf<{ name: string; class: { students: { id: number }[] } } | null>()
    expectTypeOf(await prisma.class.findUnique({ where: { id: 1 } }).students()).toEqualTypeOf<Student[] | null>()
    expectTypeOf(await prisma.student.count()).toEqualTypeOf<number>()
    const [students, count] = await prisma.$transaction([prisma.student.findMany(), prisma.tag.count()])
    expectTypeOf(students).toEqualTypeOf<Student[]>()
    expectTypeOf(count).toEqualTypeOf<number>()
    expectTypeOf(await prisma.$transaction(async (tx) => tx.profile.findFirst())).toEqualTypeOf<Profile | null>()
  })

  it('still rejects what the bare client rejects', () => {
    // @ts-expect-error: no such field
    void prisma.student.findMany({ where: { nickname: 'x' } })
    // @ts-expect-error: no such model
    void prisma.teacher
  })
})

describe('heapguard/prisma', () => {
  it('types uncapped() by what fn returns, a query as a promise of its rows', () => {
    expectTypeOf(uncapped(() => prisma.student.findMany())).toEqualTypeOf<Promise<Student[]>>()
    expectTypeOf(uncapped(async () => 'done')).toEqualTypeOf<Promise<string>>()
    expectTypeOf(uncapped(() => 5)).toEqualTypeOf<number>()
  })

  it('types the extension and the stats', () => {
    expectTypeOf(heapguardPrisma(pressure)).toEqualTypeOf<HeapguardPrismaExtension>()
    expectTypeOf(prismaStats(pressure)).toEqualTypeOf<PrismaStats>()
    // @ts-expect-error: not a priority
    heapguardPrisma(pressure, { priority: 'urgent' })
    // @ts-expect-error: not an option
    heapguardPrisma(pressure, { takes: 10 })
  })
})
