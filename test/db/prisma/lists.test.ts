// Which relations are lists (only lists take a `take`): Prisma 7's runtime data model does not
// say. The extension reads it from the schema text the generated client carries, from `isList`
// where the data model has it (Prisma 5 and 6), and otherwise learns it from the first result
// that holds the relation. Here the last two are forced by hiding what the client shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Controller } from '../../../src/index.js'
import { heapguardPrisma } from '../../../src/prisma.js'
import { postgres } from '../../support/postgres.js'
import { openDatabase, SEEDED, testController, type Fixture } from '../helpers.js'

type Client = Fixture['prisma']

/** The client as a client of another Prisma version would show itself: `config` replaces what it says of its models. */
function showing(client: Client, config: { inlineSchema?: undefined; isList?: boolean }): Client {
  const internal = client as unknown as {
    _engineConfig: { inlineSchema?: string }
    _runtimeDataModel: { models: Record<string, { fields: { name: string; kind: string; type: string }[] }> }
  }
  const engineConfig = { ...internal._engineConfig, inlineSchema: undefined }
  const lists = new Set([
    'School.classes',
    'Class.students',
    'Student.assessments',
    'Assessment.tags',
    'Tag.assessments',
  ])
  const models = Object.fromEntries(
    Object.entries(internal._runtimeDataModel.models).map(([name, model]) => [
      name,
      {
        ...model,
        fields: model.fields.map((field) =>
          config.isList && field.kind === 'object' ? { ...field, isList: lists.has(`${name}.${field.name}`) } : field,
        ),
      },
    ]),
  )
  return new Proxy(client, {
    get(target, key, receiver) {
      if (key === '_engineConfig') return engineConfig
      if (key === '_runtimeDataModel') return { ...internal._runtimeDataModel, models }
      return Reflect.get(target, key, receiver) as unknown
    },
  })
}

describe.skipIf(!postgres.available)('which relations are lists', () => {
  let f: Fixture
  let pressure: Controller
  const include = { classes: { include: { students: { include: { profile: true, assessments: true } } } } } as const

  beforeAll(async () => {
    f = await openDatabase('lists')
    pressure = testController().pressure
  })
  afterAll(async () => {
    pressure?.close()
    await f?.close()
  })

  it('from the data model’s isList (Prisma 5 and 6): capped from the first read', async () => {
    const prisma = showing(f.prisma, { isList: true }).$extends(heapguardPrisma(pressure, { take: 3, logger: {} }))
    const schools = await prisma.school.findMany({ include })
    expect(schools[0]!.classes[0]!.students).toHaveLength(3)
    expect(schools[0]!.classes[0]!.students[0]!.assessments).toHaveLength(3)
    expect(schools[0]!.classes[0]!.students[0]!.profile).toMatchObject({ studentId: expect.any(Number) })
  })

  it('learnt from results when the client says nothing: the first read is not capped below the top, the next ones are', async () => {
    const prisma = showing(f.prisma, {}).$extends(heapguardPrisma(pressure, { take: 3, logger: {} }))
    const first = await prisma.school.findMany({ include })
    expect(first).toHaveLength(3)
    expect(first[0]!.classes).toHaveLength(SEEDED.classesPerSchool) // not yet known to be a list
    const second = await prisma.school.findMany({ include })
    expect(second[0]!.classes).toHaveLength(3)
    expect(second[0]!.classes[0]!.students).toHaveLength(3)
    expect(second[0]!.classes[0]!.students[0]!.assessments).toHaveLength(3)
    // A to-one relation (null or a row) is never given a take: Prisma would reject it.
    expect(second[0]!.classes[0]!.students.map((s) => s.profile === null)).toContain(false)
    // Fluent reads learn too.
    const fluentFirst = await prisma.tag.findUnique({ where: { id: 1 } }).assessments()
    expect(fluentFirst).toHaveLength(SEEDED.assessments / 3)
    expect(await prisma.tag.findUnique({ where: { id: 1 } }).assessments()).toHaveLength(3)
  })
})
