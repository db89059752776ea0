// How much heap a Prisma 7 read needs while it runs, against what its rows keep once it returns:
// a findMany of 100,000 assessments in a child process under --max-old-space-size from small to
// large; the smallest heap it completes in, less the heap in use before it, against the heap its
// rows keep (measured between two full GCs). Where heapguardPrisma's READ_PEAK (1.5) comes from.
//   node bench/db-read-peak.bench.mjs          (about a minute)
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { withDatabase } from './lib/postgres.mjs'

const ROWS = 100_000
const MiB = 2 ** 20

if (process.argv[2] === 'child') {
  const { PrismaClient } = createRequire(import.meta.url)('../examples/prisma/generated/js/index.js')
  const [host, user, database] = process.argv.slice(3)
  const pool = new pg.Pool({ host, user, database, max: 1 })
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
  await prisma.assessment.findMany({ take: 1000 }) // the query compiler loaded, the plan cached
  gc()
  const base = process.memoryUsage().heapUsed
  const rows = await prisma.assessment.findMany({ take: ROWS })
  gc()
  const kept = process.memoryUsage().heapUsed - base
  console.log(JSON.stringify({ baseMiB: base / MiB, keptMiB: kept / MiB, rows: rows.length }))
  await prisma.$disconnect()
  await pool.end()
  process.exit(0)
}

await withDatabase('peak', ROWS, async ({ host, user, database }) => {
  const outcomes = []
  for (let mb = 90; mb <= 140; mb += 5) {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', `--max-old-space-size=${mb}`, import.meta.filename, 'child', host, user, database],
      { encoding: 'utf8' },
    )
    const done = run.status === 0 ? JSON.parse(run.stdout.trim()) : undefined
    outcomes.push({ mb, done })
    console.log(`--max-old-space-size=${mb}: ${done ? `completed (${done.rows} rows)` : 'out of memory'}`)
  }
  const first = outcomes.find((o) => o.done)
  if (first) {
    const { baseMiB, keptMiB } = first.done
    const needed = first.mb - baseMiB
    console.log(
      `smallest heap that completes: ${first.mb} MiB; in use before the read ${baseMiB.toFixed(1)} MiB; the rows keep ${keptMiB.toFixed(1)} MiB (${((keptMiB * MiB) / ROWS).toFixed(0)} bytes a row); the read needed at most ${needed.toFixed(1)} MiB: ${(needed / keptMiB).toFixed(2)} × what its rows keep. Load average ${loadavg()[0].toFixed(1)}`,
    )
  }
})
