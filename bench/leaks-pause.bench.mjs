// The pause of a leak window's checkpoint against heap size: each read of the sampling profile
// forces a full GC. One child per heap size (50, 200, 500 MiB of small retained objects), three
// windows of four checkpoints each; beside it, the child's own mark-compact pauses under garbage
// (the controller's timings, what the prediction starts from).
//   node bench/leaks-pause.bench.mjs [--sizes 50,200,500] [--windows 3]
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : process.argv[i + 1]
}
const sizes = arg('--sizes', '50,200,500').split(',').map(Number)
const windows = arg('--windows', '3')
const child = fileURLToPath(new URL('./leaks/pause-child.mjs', import.meta.url))
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

console.log(`node ${process.version}; ${windows} windows of 4 checkpoints per heap; loadavg at start ${loadavg()}`)
console.log('heap (MiB)   longest checkpoint pause per window (ms)   per MiB   own mark-compacts: n, median, max (ms)')
for (const size of sizes) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=2048', '--no-warnings', child, String(size), windows], {
    encoding: 'utf8',
  })
  if (r.status !== 0) {
    console.log(`${size}: the child failed: ${r.stderr.slice(-500)}`)
    continue
  }
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1))
  const pauses = out.windows.map((w) => w.pauseMs)
  const median = [...pauses].sort((a, b) => a - b)[pauses.length >> 1]
  console.log(
    `${String(Math.round(out.heapUsed / 2 ** 20)).padStart(10)}   ${pauses
      .map((p) => p.toFixed(0))
      .join(', ')
      .padStart(
        40,
      )}   ${(median / (out.heapUsed / 2 ** 20)).toFixed(2).padStart(7)}   ${`${out.naturalMajors}, ${out.naturalMedianMs?.toFixed(0) ?? '—'}, ${out.naturalMaxMs?.toFixed(0) ?? '—'}`.padStart(38)}`,
  )
}
console.log(`loadavg at end ${loadavg()}`)
