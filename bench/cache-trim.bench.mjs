// Halving a 1,000,000-entry cache: total time and the longest event-loop block, for heapguard's
// sliced trim (pressure.force('critical') on a 'normal' cache) against a naive synchronous loop
// of lru-cache pop() calls. The event loop is watched two ways: monitorEventLoopDelay (wall
// clock, includes time the OS gave to other processes) and the CPU time spent between two turns
// of the loop (the length of the longest slice of work, immune to other processes).
//   npx tsup && node bench/run.mjs cache-trim
import { LRUCache } from 'lru-cache'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createController } from '../dist/index.js'

const N = 1_000_000
const RUNS = 3

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/** Runs `start()`, then turns the event loop until `done()`, measuring as described above. */
async function watch(start, done) {
  if (globalThis.gc) globalThis.gc()
  // Let the GC's background threads finish sweeping: their CPU time would count as ours.
  await new Promise((resolve) => setTimeout(resolve, 500))
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  for (let i = 0; i < 10; i++) await nextTurn()
  let longestCpuMs = 0
  let last = process.cpuUsage()
  const began = performance.now()
  start()
  let turns = 0
  for (;;) {
    const used = process.cpuUsage(last)
    longestCpuMs = Math.max(longestCpuMs, (used.user + used.system) / 1000)
    if (done()) break
    await nextTurn()
    last = process.cpuUsage()
    turns++
  }
  const totalMs = performance.now() - began
  for (let i = 0; i < 10; i++) await nextTurn()
  loop.disable()
  return { totalMs, turns, longestCpuMs, maxDelayMs: loop.max / 1e6, p99DelayMs: loop.percentile(99) / 1e6 }
}

async function sliced() {
  const pressure = createController({
    sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
    autoStart: false,
  })
  const cache = pressure.caches.lru('big', { max: N })
  for (let i = 0; i < N; i++) cache.set(i, i)
  const result = await watch(
    () => pressure.force('critical'),
    () => cache.size === N / 2,
  )
  pressure.close()
  return result
}

async function naive() {
  const cache = new LRUCache({ max: N })
  for (let i = 0; i < N; i++) cache.set(i, i)
  return watch(
    () => {
      while (cache.size > N / 2) cache.pop()
    },
    () => cache.size === N / 2,
  )
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rows = { 'heapguard (sliced)': [], 'naive pop() loop': [] }
for (let run = 0; run < RUNS; run++) {
  rows['naive pop() loop'].push(await naive())
  rows['heapguard (sliced)'].push(await sliced())
}
console.log(`halving a ${N.toLocaleString()}-entry cache, ${RUNS} runs each (medians)`)
console.log(
  `${'method'.padEnd(20)} ${'total'.padStart(10)} ${'turns'.padStart(7)} ${'longest slice (CPU)'.padStart(20)} ${'max loop delay'.padStart(15)} ${'p99 loop delay'.padStart(15)}`,
)
for (const [name, results] of Object.entries(rows)) {
  const pick = (key) => median(results.map((r) => r[key]))
  console.log(
    `${name.padEnd(20)} ${`${pick('totalMs').toFixed(0)} ms`.padStart(10)} ${String(pick('turns')).padStart(7)} ` +
      `${`${pick('longestCpuMs').toFixed(1)} ms`.padStart(20)} ${`${pick('maxDelayMs').toFixed(1)} ms`.padStart(15)} ${`${pick('p99DelayMs').toFixed(1)} ms`.padStart(15)}`,
  )
}
const s = median(rows['heapguard (sliced)'].map((r) => r.longestCpuMs))
const n = median(rows['naive pop() loop'].map((r) => r.longestCpuMs))
console.log(
  `longest block: sliced ${s.toFixed(1)} ms vs naive ${n.toFixed(1)} ms (${(n / s).toFixed(0)}× shorter); target ≤ ~10 ms`,
)
