// uncapped(fn): the reads `fn` makes, and those of everything it awaits, see every row; reads
// elsewhere at the same moment stay capped. Never a global switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Controller } from '../../../src/index.js'
import { heapguardPrisma, uncapped } from '../../../src/prisma.js'
import { postgres } from '../../support/postgres.js'
import { openDatabase, SEEDED, testController, type Fixture } from '../helpers.js'

describe('uncapped(fn): arguments', () => {
  it('returns what fn returns, and rejects anything but a function', async () => {
    expect(uncapped(() => 5)).toBe(5)
    await expect(uncapped(async () => 'done')).resolves.toBe('done')
    expect(() => uncapped('all rows' as never)).toThrow(
      new TypeError('uncapped: argument `fn` must be a function, got "all rows" (string)'),
    )
  })
})

describe.skipIf(!postgres.available)('uncapped(fn) with a real client', () => {
  let f: Fixture
  let pressure: Controller
  let prisma: ReturnType<typeof extend>
  const extend = (p: Controller) => f.prisma.$extends(heapguardPrisma(p, { take: 7, logger: {} }))

  beforeAll(async () => {
    f = await openDatabase('uncapped')
    pressure = testController().pressure
    prisma = extend(pressure)
  })
  afterAll(async () => {
    pressure?.close()
    await f?.close()
  })

  it('lifts the cap for the reads of fn only, while reads outside it at the same moment stay capped', async () => {
    const [all, capped] = await Promise.all([uncapped(() => prisma.student.findMany()), prisma.student.findMany()])
    expect(all).toHaveLength(SEEDED.students)
    expect(capped).toHaveLength(7)
    expect(await prisma.student.findMany()).toHaveLength(7)
  })

  it('covers what fn awaits: later reads, timers, nested relations, transactions of both kinds', async () => {
    const later = () => new Promise<void>((resolve) => setTimeout(resolve, 1))
    const seen = await uncapped(async () => {
      await later()
      const students = await prisma.student.findMany()
      const classes = await prisma.class.findMany({ include: { students: true } })
      const [batch] = await prisma.$transaction([prisma.assessment.findMany({ where: { studentId: 1 } })])
      const interactive = await prisma.$transaction(async (tx) => tx.class.findUnique({ where: { id: 1 } }).students())
      return { students, classes, batch, interactive }
    })
    expect(seen.students).toHaveLength(SEEDED.students)
    expect(seen.classes).toHaveLength(SEEDED.classes)
    for (const c of seen.classes) expect(c.students).toHaveLength(SEEDED.studentsPerClass)
    expect(seen.batch).toHaveLength(SEEDED.assessmentsPerStudent)
    expect(seen.interactive).toHaveLength(SEEDED.studentsPerClass)
    // The scope ended with fn.
    expect(await prisma.class.findMany({ include: { students: true } })).toHaveLength(7)
  })
})
