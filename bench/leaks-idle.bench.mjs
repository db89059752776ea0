// What automatic leak windows cost an idle process with no leak: three idle children side by side
// for the same window (bench/lib/idle-child.mjs): no controller, a default controller (leaks.auto
// on: a comparison per sample, a look at the trend every 10 s), and the same with leaks.auto off.
// Target: the default controller's idle figure unchanged by leaks.auto (< 0.1 % of a core in all).
//   node bench/leaks-idle.bench.mjs [--seconds 30] [--rounds 3]
import { readFileSync } from 'node:fs'
import { cpuPercent, runIdleChild } from './lib/idle.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const seconds = arg('--seconds', 30)
const rounds = arg('--rounds', 3)
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

const runChild = (mode) => runIdleChild(mode, seconds)
const pct = cpuPercent
console.log(
  `node ${process.version}, ${seconds} s idle per child, ${rounds} rounds, children side by side; loadavg at start ${loadavg()}`,
)
console.log('round   bare         default (leaks.auto)   leaks.auto off   auto − off    samples')
const diffs = []
for (let i = 0; i < rounds; i++) {
  const [bare, auto, off] = await Promise.all([
    runChild('bare'),
    runChild('controller'),
    runChild('controller-noleaks'),
  ])
  const d = pct(auto) - pct(off)
  diffs.push(d)
  console.log(
    `${String(i + 1).padEnd(7)} ${`${pct(bare).toFixed(4)} %`.padEnd(12)} ${`${pct(auto).toFixed(4)} %`.padEnd(22)} ${`${pct(off).toFixed(4)} %`.padEnd(16)} ${`${d >= 0 ? '+' : ''}${d.toFixed(4)} %`.padEnd(13)} ${auto.samples} / ${off.samples}`,
  )
}
console.log(
  `leaks.auto on − off: ${Math.min(...diffs).toFixed(4)} to ${Math.max(...diffs).toFixed(4)} % of one core; loadavg at end ${loadavg()}`,
)
