// The database squeeze: the example service (examples/prisma/server.mjs) under a 192 MiB heap,
// over 200,000 assessments in a throwaway PostgreSQL, with four clients asking for the route that
// does an unbounded findMany, one after another, for a fixed time. Without heapguard, then with it;
// and with heapguard on the export route, which lifts the cap (uncapped()) and reserves instead.
// Per run: whether the server died (and when), the share of requests answered 2xx, the peak heap.
//   node bench/db-squeeze.bench.mjs [seconds] [runs]          (npm run build first; ~3 minutes)
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { withDatabase } from './lib/postgres.mjs'

const SECONDS = Number(process.argv[2] ?? 20)
const RUNS = Number(process.argv[3] ?? 2)
const ROWS = 200_000
const CLIENTS = 4
const HEAP_MB = 192
const root = join(import.meta.dirname, '..')

const VARIANTS = [
  { name: 'without heapguard', path: '/assessments', args: ['--no-heapguard'] },
  { name: 'heapguard', path: '/assessments', args: [] },
  { name: 'heapguard, the export (uncapped, reserves)', path: '/export', args: [] },
]

/** Starts the example under a small heap; resolves once it listens. */
function startServer(url, args) {
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, '--trace-gc', 'examples/prisma/server.mjs', '--port', '0', ...args],
    { cwd: root, env: { ...process.env, DATABASE_URL: url, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const state = { child, peakMb: 0, oom: false, exited: null, stderr: '' }
  const started = Date.now()
  // --trace-gc prints the heap in use before and after each collection: its largest "before" is the peak.
  const onLine = (line) => {
    const gc = /: (?:Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep)[^0-9]*([\d.]+) \(/.exec(line)
    if (gc) state.peakMb = Math.max(state.peakMb, Number(gc[1]))
    if (/heap out of memory|Allocation failed/.test(line)) state.oom = true
  }
  let buffered = ''
  const lines = (chunk) => {
    buffered += chunk
    let nl
    while ((nl = buffered.indexOf('\n')) !== -1) {
      onLine(buffered.slice(0, nl))
      buffered = buffered.slice(nl + 1)
    }
  }
  child.stderr.setEncoding('utf8').on('data', (d) => {
    state.stderr += d
    lines(d)
  })
  child.on('exit', (code, signal) => (state.exited = { code, signal, afterS: (Date.now() - started) / 1000 }))
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d) => {
      lines(d)
      const m = /"port":(\d+)/.exec(d)
      if (m) resolve({ ...state, base: `http://127.0.0.1:${m[1]}`, state, started })
    })
    child.on('exit', () => reject(new Error(`the server exited before listening: ${state.stderr.slice(-2000)}`)))
  })
}

/** CLIENTS clients asking for `path` one request after another until `seconds` have passed. */
async function load(base, path, seconds) {
  const counts = { ok: 0, shed: 0, other: 0, failed: 0 }
  const deadline = Date.now() + seconds * 1000
  const client = async () => {
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(15_000) })
        await response.arrayBuffer()
        if (response.status >= 200 && response.status < 300) counts.ok++
        else if (response.status === 503) counts.shed++
        else counts.other++
      } catch {
        // Refused or reset (the server is gone), or no answer within 15 s: a client would back off.
        counts.failed++
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client))
  return counts
}

await withDatabase('squeeze', ROWS, async ({ url, seeded }) => {
  console.log(
    `${seeded.assessments} assessments; ${CLIENTS} clients for ${SECONDS} s per run; --max-old-space-size=${HEAP_MB}`,
  )
  console.log('| variant | run | server | requests | 2xx | 503 | failed | 2xx share | peak heap (MiB) | load avg |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (let run = 1; run <= RUNS; run++) {
    for (const variant of VARIANTS) {
      const server = await startServer(url, variant.args)
      const counts = await load(server.base, variant.path, SECONDS)
      const { state } = server
      const alive = state.exited === null
      if (alive) {
        state.child.kill('SIGTERM')
        await new Promise((resolve) => state.child.on('exit', resolve))
      }
      const requests = counts.ok + counts.shed + counts.other + counts.failed
      const fate = alive
        ? 'alive'
        : `died after ${state.exited.afterS.toFixed(1)} s${state.oom ? ' (heap out of memory)' : ` (${state.exited.signal ?? state.exited.code})`}`
      console.log(
        `| ${variant.name} | ${run} | ${fate} | ${requests} | ${counts.ok} | ${counts.shed} | ${counts.failed + counts.other} | ${((counts.ok / requests) * 100).toFixed(1)} % | ${state.peakMb.toFixed(1)} | ${loadavg()[0].toFixed(1)} |`,
      )
    }
  }
})
