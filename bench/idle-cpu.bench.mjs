// CPU cost of an idle, running controller with defaults (1 s poll of heap + rss, GC observer),
// against an idle process without one, as % of one core. Both children run at the same time for
// the same window (bench/lib/idle-child.mjs). Target: the difference stays below 0.1 %.
//   node bench/idle-cpu.bench.mjs [--seconds 30] [--pairs 1]
import { cpuPercent, runIdleChild } from './lib/idle-run.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const seconds = arg('--seconds', 30)
const pairs = arg('--pairs', 1)

const runChild = (mode) => runIdleChild(mode, seconds)
const pct = cpuPercent
const rows = []
for (let i = 0; i < pairs; i++) {
  const [withController, bare] = await Promise.all([runChild('controller'), runChild('bare')])
  rows.push({ withController, bare })
}
console.log(`node ${process.version}, ${seconds} s idle window per child, ${pairs} pair(s), children run side by side`)
console.log(
  'pair'.padEnd(5),
  'with controller'.padStart(16),
  'bare'.padStart(10),
  'difference'.padStart(12),
  'samples'.padStart(9),
  'per sample'.padStart(12),
)
for (const [i, { withController, bare }] of rows.entries()) {
  const diff = pct(withController) - pct(bare)
  const perSampleUs =
    (withController.userUs + withController.systemUs - (bare.userUs + bare.systemUs)) /
    Math.max(1, withController.samples)
  console.log(
    String(i + 1).padEnd(5),
    `${pct(withController).toFixed(4)} %`.padStart(16),
    `${pct(bare).toFixed(4)} %`.padStart(10),
    `${diff.toFixed(4)} %`.padStart(12),
    String(withController.samples).padStart(9),
    `${perSampleUs.toFixed(0)} µs`.padStart(12),
  )
}
const worst = Math.max(...rows.map((r) => pct(r.withController) - pct(r.bare)))
console.log(`target < 0.1 % of one core: ${worst < 0.1 ? 'met' : 'NOT met'} (worst difference ${worst.toFixed(4)} %)`)
