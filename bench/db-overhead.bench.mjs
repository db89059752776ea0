// What heapguardPrisma costs a read: findUnique by id through Prisma 7 (@prisma/adapter-pg over a
// pg.Pool) against a throwaway PostgreSQL, the bare client against the extended one, in the same
// process and the same run, interleaved round by round (so drift on a shared machine hits both
// alike). Also a findMany of 100 rows with a nested include, and the extension's own work per read
// measured without a database (the hook called with a query that answers at once).
//   node --expose-gc bench/db-overhead.bench.mjs [rounds]          (npm run build first)
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { createController } from '../dist/index.js'
import { heapguardPrisma } from '../dist/prisma.js'
import { withDatabase } from './lib/postgres.mjs'
import { median, nsPerAsyncCall, perAsyncCall } from './lib/timing.mjs'

const ROUNDS = Number(process.argv[2] ?? 9)
const MS = 1500

await withDatabase('bench', undefined, async ({ host, user, database }) => {
  const { PrismaClient } = createRequire(import.meta.url)('../examples/prisma/generated/js/index.js')
  const pool = new pg.Pool({ host, user, database, max: 4 })
  const pressure = createController() // the defaults: a real heap source, sampling on its timer
  const bare = new PrismaClient({ adapter: new PrismaPg(pool) })
  const guarded = bare.$extends(heapguardPrisma(pressure, { logger: {} }))
  // What Prisma's query extension machinery costs by itself: an extension that only passes the query on.
  const noop = bare.$extends({ query: { $allModels: { $allOperations: ({ args, query }) => query(args) } } })

  let id = 0
  const nextId = () => (id = (id % 9000) + 1)
  const cases = {
    'findUnique bare': () => bare.assessment.findUnique({ where: { id: nextId() } }),
    'findUnique heapguard': () => guarded.assessment.findUnique({ where: { id: nextId() } }),
    'findUnique no-op extension': () => noop.assessment.findUnique({ where: { id: nextId() } }),
    'findMany 100 + include bare': () =>
      bare.student.findMany({
        where: { classId: (nextId() % 12) + 1 },
        take: 100,
        include: { assessments: { take: 5 } },
      }),
    'findMany 100 + include heapguard': () =>
      guarded.student.findMany({
        where: { classId: (nextId() % 12) + 1 },
        take: 100,
        include: { assessments: { take: 5 } },
      }),
    'findMany 100 + include no-op extension': () =>
      noop.student.findMany({
        where: { classId: (nextId() % 12) + 1 },
        take: 100,
        include: { assessments: { take: 5 } },
      }),
  }
  // Warm up: query plans compiled and cached, the extension's figures learnt.
  for (const fn of Object.values(cases)) for (let i = 0; i < 300; i++) await fn()

  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  const loads = []
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? Object.keys(cases) : Object.keys(cases).reverse()
    for (const name of order) samples[name].push(await perAsyncCall(cases[name], MS))
    loads.push(loadavg()[0])
  }
  const us = (ns) => (ns / 1000).toFixed(1)
  const pct = (x) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)} %`
  const of = (name, key) => samples[name].map((s) => s[key])
  console.log(
    `rounds ${ROUNDS} × ${MS} ms per case; load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
  )
  console.log(
    '| read | client | wall µs | CPU µs | CPU against bare: median of rounds (min – max) | wall against bare: median (min – max) |',
  )
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const read of ['findUnique', 'findMany 100 + include']) {
    for (const client of ['bare', 'no-op extension', 'heapguard']) {
      const name = `${read} ${client}`
      const ratio = (key) => {
        if (client === 'bare') return '—'
        const r = of(name, key).map((x, i) => x / of(`${read} bare`, key)[i])
        return `${pct(median(r))} (${pct(Math.min(...r))} – ${pct(Math.max(...r))})`
      }
      console.log(
        `| ${read} | ${client} | ${us(median(of(name, 'wall')))} | ${us(median(of(name, 'cpu')))} | ${ratio('cpu')} | ${ratio('wall')} |`,
      )
    }
  }

  // The extension's own work per read, without a database: its hook, handed a query that answers at once.
  // (`_originalClient`: the client it stands for, so that it is not counted as a second client.)
  const fake = {
    _originalClient: bare._originalClient,
    _runtimeDataModel: bare._runtimeDataModel,
    _engineConfig: bare._engineConfig,
    $extends: (ext) => ext,
  }
  const hook = heapguardPrisma(pressure, { logger: {} })(fake).query.$allModels.$allOperations
  const row = await bare.assessment.findUnique({ where: { id: 1 } })
  const answer = () => Promise.resolve({ ...row })
  const read = (operation, args) => () =>
    hook({ model: 'Assessment', operation, args, query: answer, __internalParams: {} })
  const hookCases = {
    'a query answered at once (the baseline)': answer,
    'findUnique through the hook': read('findUnique', { where: { id: 1 } }),
    'findMany of 100 through the hook (reserves)': () =>
      hook({
        model: 'Assessment',
        operation: 'findMany',
        args: { take: 100 },
        query: () => Promise.resolve(Array.from({ length: 100 }, () => ({ ...row }))),
        __internalParams: {},
      }),
  }
  const hookSamples = Object.fromEntries(Object.keys(hookCases).map((k) => [k, []]))
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, fn] of Object.entries(hookCases)) hookSamples[name].push(await nsPerAsyncCall(fn, 300))
  console.log(
    `\nthe hook alone, in process (median of ${ROUNDS} rounds × 300 ms); load average ${loadavg()[0].toFixed(1)}`,
  )
  console.log('| call | µs |')
  console.log('| --- | --- |')
  for (const [name, xs] of Object.entries(hookSamples)) console.log(`| ${name} | ${us(median(xs))} |`)
  await bare.$disconnect()
  await pool.end()
  pressure.close()
})
