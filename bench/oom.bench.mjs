// Does a process dying of out-of-memory say `emergency` first? Leaking children
// (test/fixtures/pressure-oom.mjs: a controller with DEFAULT options and a leak that never stops)
// under several heap sizes and workloads, a few runs each, two at a time. For each cell: the last
// level each run printed before V8 aborted, the ratio at that change, V8's reason, and how long
// before the abort the last level was reached. Target: the last level is always `emergency`.
//   node bench/oom.bench.mjs [--runs 3] [--heaps 64,96,128,256,512] [--workloads small,strings,small-bursty,strings-bursty]
//                            [--rate MBps] [--parallel 2] [--timeout-s 60] [--index path/to/dist/index.js]
// --index runs the children on another build (say, main's, for a before/after in one session).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : process.argv[i + 1]
}
const runs = Number(arg('--runs', 3))
const heaps = arg('--heaps', '64,96,128,256,512').split(',').map(Number)
const workloads = arg('--workloads', 'small,strings,small-bursty,strings-bursty').split(',')
const rateArg = arg('--rate', undefined)
const parallel = Number(arg('--parallel', 2))
const timeoutMs = Number(arg('--timeout-s', 60)) * 1000
const child = fileURLToPath(new URL('../test/fixtures/pressure-oom.mjs', import.meta.url))
const index = arg('--index', undefined)

/** Fills the heap in about 4 s at full speed: the last seconds before the abort are what matter. */
const rateFor = (heapMiB) => (rateArg === undefined ? Math.max(40, Math.round(heapMiB / 4)) : Number(rateArg))

function runOne({ heap, workload }) {
  return new Promise((resolve) => {
    const started = performance.now()
    const p = spawn(process.execPath, [`--max-old-space-size=${heap}`, child, workload, String(rateFor(heap))], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', ...(index === undefined ? {} : { HEAPGUARD_INDEX: index }) },
    })
    let stdout = ''
    let stderr = ''
    let last = null
    let lastAt = null
    p.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d
      let nl
      while ((nl = stdout.indexOf('\n')) !== -1) {
        const line = stdout.slice(0, nl)
        stdout = stdout.slice(nl + 1)
        const o = JSON.parse(line)
        if (o.event === 'level') {
          last = o
          lastAt = performance.now()
        }
      }
    })
    p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      p.kill('SIGKILL')
    }, timeoutMs)
    p.on('close', (code, signal) => {
      clearTimeout(timer)
      const ended = performance.now()
      const reason = timedOut
        ? `still alive after ${timeoutMs / 1000} s`
        : (/FATAL ERROR: (.*?)(?: Allocation failed| - JavaScript|$)/m.exec(stderr)?.[1] ??
          `exit ${code ?? signal}: ${stderr.trim().split('\n').at(-1) ?? ''}`)
      resolve({
        heap,
        workload,
        level: last?.to ?? 'normal',
        ratio: last?.ratio ?? null,
        cause: last?.cause === 'floor' ? 'gc' : last?.cause,
        reason,
        leadMs: lastAt === null ? null : ended - lastAt,
        ms: ended - started,
        timedOut,
      })
    })
  })
}

const jobs = []
for (const heap of heaps) for (const workload of workloads) for (let r = 0; r < runs; r++) jobs.push({ heap, workload })
const results = []
const started = performance.now()
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (jobs.length > 0) results.push(await runOne(jobs.shift()))
  }),
)

const fmt = (x, d = 2) => (x === null ? '-' : x.toFixed(d))
console.log(
  `node ${process.version}, ${runs} runs per cell, ${parallel} at a time, ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
    `leak rate max(40, heap/4) MB/s${rateArg === undefined ? '' : ` (overridden: ${rateArg} MB/s)`}`,
)
console.log(
  'heap MiB'.padEnd(9),
  'workload'.padEnd(15),
  'last levels (ratio at the change, cause)'.padEnd(60),
  'lead before abort (ms)'.padEnd(24),
  "V8's reason",
)
let dying = 0
let emergencyLast = 0
for (const heap of heaps) {
  for (const workload of workloads) {
    const cell = results.filter((r) => r.heap === heap && r.workload === workload)
    const died = cell.filter((r) => !r.timedOut)
    dying += died.length
    emergencyLast += died.filter((r) => r.level === 'emergency').length
    const reasons = [...new Set(cell.map((r) => r.reason))].join('; ')
    console.log(
      String(heap).padEnd(9),
      workload.padEnd(15),
      cell
        .map((r) => `${r.level} ${fmt(r.ratio)}${r.cause ? ` ${r.cause}` : ''}${r.timedOut ? ' (alive)' : ''}`)
        .join(', ')
        .padEnd(60),
      cell
        .map((r) => fmt(r.leadMs, 0))
        .join(', ')
        .padEnd(24),
      reasons,
    )
  }
}
console.log(`\n${emergencyLast} of ${dying} dying runs said emergency last (target: all)`)
if (emergencyLast !== dying) process.exitCode = 1
