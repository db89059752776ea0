// Reaction latency: time from the heap crossing the warning line (0.70 of the usable heap) to the
// moment each observer notices, over repeated runs, one child process per run
// (bench/lib/reaction-child.mjs). Compares heapguard with defaults (GC-triggered + fast zone),
// heapguard without GC sampling (timer zones only), and a plain 1 s setInterval poller, all on
// the same heap trajectory in the same child. Target: heapguard p99 < 50 ms.
//   node bench/reaction.bench.mjs [--runs 20] [--rate 50] [--heap 256] [--index path/to/dist/index.js]
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const runs = arg('--runs', 20)
const rate = arg('--rate', 50)
const heapMiB = arg('--heap', 256)
const child = fileURLToPath(new URL('./lib/reaction-child.mjs', import.meta.url))
const indexAt = process.argv.indexOf('--index')
const env = indexAt === -1 ? process.env : { ...process.env, HEAPGUARD_INDEX: process.argv[indexAt + 1] }

const observers = ['heapguard', 'heapguardTimerOnly', 'poller']
const latencies = Object.fromEntries(observers.map((o) => [o, []]))
let gaveUp = 0
const started = performance.now()
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMiB}`, child, '--rate', String(rate)], {
    encoding: 'utf8',
    timeout: 30_000,
    env,
  })
  const line = r.stdout.trim().split('\n').at(-1)
  if (r.status !== 0 || !line) {
    console.error(`run ${i + 1} failed (status ${r.status}):`, r.stderr.slice(-500))
    process.exitCode = 1
    continue
  }
  const result = JSON.parse(line)
  if (result.gaveUp) gaveUp++
  for (const o of observers) if (result[o] !== null) latencies[o].push(result[o])
}

/** Nearest-rank percentile. With 20 runs, p99 is the largest value. */
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const fmt = (ms) => (ms === undefined ? '-' : `${ms.toFixed(1)} ms`)
console.log(
  `node ${process.version}, --max-old-space-size=${heapMiB}, ${rate} MB/s retained, ${runs} runs (one child each), ` +
    `${((performance.now() - started) / 1000).toFixed(0)} s${gaveUp ? `, ${gaveUp} run(s) where an observer never fired` : ''}`,
)
console.log(
  'observer'.padEnd(40),
  'n'.padStart(3),
  'p50'.padStart(10),
  'p99'.padStart(10),
  'max'.padStart(10),
  'p50 vs heapguard'.padStart(18),
)
const base = pct(latencies.heapguard, 50)
const labels = {
  heapguard: 'heapguard defaults (GC + fast zone)',
  heapguardTimerOnly: 'heapguard sampleOnGc: false',
  poller: 'setInterval 1 s poller',
}
for (const o of observers) {
  const xs = latencies[o]
  const p50 = pct(xs, 50)
  console.log(
    labels[o].padEnd(40),
    String(xs.length).padStart(3),
    fmt(p50).padStart(10),
    fmt(pct(xs, 99)).padStart(10),
    fmt(Math.max(...xs)).padStart(10),
    `${(p50 / base).toFixed(1)}×`.padStart(18),
  )
}
const p99 = pct(latencies.heapguard, 99)
console.log(`target heapguard p99 < 50 ms: ${p99 < 50 ? 'met' : 'NOT met'} (${fmt(p99)})`)
