// What eventLoopSource() costs (issue 23 item 14), against baselines measured in the same run:
//
// 1. One pressure.sample() with heapSource() alone, and with an eventLoopSource() beside it
//    (delay only; delay and utilization), after the loop has run free for a while, as the
//    controller's timer samples (a read right after another finds an empty histogram, which is
//    cheaper). Interleaved rounds of many 20 ms pauses.
// 2. Idle CPU: children side by side for the same window (bench/lib/idle-child.mjs): bare; a
//    started controller with the defaults; the same with eventLoopSource() added, its native timer
//    ticking every resolutionMs (10, 20 or 50 ms) whether or not anything samples.
//   node bench/event-loop.bench.mjs [--rounds 5] [--calls 200] [--seconds 30] [--pairs 3]
import { createController, eventLoopSource, heapSource } from '../dist/index.js'
import { cpuPercent, runIdleChild } from './lib/idle.mjs'
import { median } from './lib/timing.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const rounds = arg('--rounds', 5)
const calls = arg('--calls', 200)
const seconds = arg('--seconds', 30)
const pairs = arg('--pairs', 3)

// ---- 1. the sample -------------------------------------------------------------------------------
// COPIES controllers of each kind, sampled one after the other after each pause: the first of a
// kind pays for cold caches, the others show the warm cost of a sample whose histogram filled
// during the pause (about two ticks). The median over a kind's copies is its figure for that call.
const COPIES = 25
const logger = { warn() {}, error: console.error }
const build = (sources) => createController({ autoStart: false, sources, logger })
const kinds = {
  'sample(): heap': () => [heapSource()],
  'sample(): heap + event loop (delay)': () => [heapSource(), eventLoopSource()],
  'sample(): heap + event loop (delay + utilization)': () => [heapSource(), eventLoopSource({ maxUtilization: 1 })],
}
const controllers = Object.fromEntries(
  Object.entries(kinds).map(([name, sources]) => [name, Array.from({ length: COPIES }, () => build(sources()))]),
)
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const sampleAll = (list) =>
  list.map((c) => {
    const t = process.hrtime.bigint()
    c.sample()
    return Number(process.hrtime.bigint() - t)
  })
for (const list of Object.values(controllers)) sampleAll(list) // starts the watches
for (let i = 0; i < 20; i++) {
  await pause(5)
  for (const list of Object.values(controllers)) sampleAll(list) // warm-up (JIT)
}
const results = Object.fromEntries(Object.keys(controllers).map((name) => [name, []]))
for (let r = 0; r < rounds; r++) {
  const perCall = Object.fromEntries(Object.keys(controllers).map((name) => [name, []]))
  for (let i = 0; i < calls; i++) {
    await pause(20)
    // Rotate the order, so that no kind always comes first after the pause.
    const names = Object.keys(controllers)
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]
      perCall[name].push(median(sampleAll(controllers[name])))
    }
  }
  for (const name of Object.keys(controllers)) results[name].push(median(perCall[name]))
}
for (const list of Object.values(controllers)) for (const c of list) c.close()

console.log(
  `node ${process.version}, ${rounds} rounds × ${calls} pauses of 20 ms; per pause, the median over ${COPIES} controllers of each kind`,
)
console.log('case'.padEnd(52), 'median ns'.padStart(10), 'range of round medians'.padStart(24), 'vs heap'.padStart(9))
const base = median(results['sample(): heap'])
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs)
  const range = `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
  console.log(name.padEnd(52), m.toFixed(0).padStart(10), range.padStart(24), `${(m / base).toFixed(2)}×`.padStart(9))
}

// ---- 2. idle CPU -----------------------------------------------------------------------------------
const runChild = (mode) => runIdleChild(mode, seconds)

const pct = cpuPercent
const modes = ['bare', 'controller', 'event-loop-10', 'event-loop-20', 'event-loop-50']
console.log(
  `\nidle CPU, % of one core: ${seconds} s window per child, ${pairs} round(s), the four children side by side`,
)
console.log('round'.padEnd(6), ...modes.map((m) => m.padStart(14)))
const added = { 'event-loop-10': [], 'event-loop-20': [], 'event-loop-50': [] }
for (let i = 0; i < pairs; i++) {
  const rows = Object.fromEntries((await Promise.all(modes.map(runChild))).map((r, k) => [modes[k], pct(r)]))
  for (const mode of Object.keys(added)) added[mode].push(rows[mode] - rows.controller)
  console.log(String(i + 1).padEnd(6), ...modes.map((m) => `${rows[m].toFixed(4)} %`.padStart(14)))
}
for (const [mode, xs] of Object.entries(added)) {
  const range = `${Math.min(...xs).toFixed(4)}–${Math.max(...xs).toFixed(4)}`
  console.log(
    `added by eventLoopSource({ resolutionMs: ${mode.slice(11)} }): median ${median(xs).toFixed(4)} % of a core (${range})`,
  )
}
