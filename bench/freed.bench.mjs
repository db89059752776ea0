// Freed memory: how long after a process frees what held it at `emergency` is it back at `normal`?
// Each run is a child (test/fixtures/pressure-freed.mjs) on DEFAULT options under a 128 MiB heap:
// it holds memory until `emergency`, frees it all and keeps serving light traffic (a few KiB of
// garbage every 10 ms), for at most `--deadline-s`. With `--no-memory-reducer` (the default here)
// no major GC comes by itself, as in a busy process whose memory reducer does not run.
// Target (issue 19): back at `normal` within 30 s of the free, every run; 3 × recoveryMs (15 s) is the floor.
//   node bench/freed.bench.mjs [--runs 5] [--deadline-s 60] [--reducer] [--index path/to/dist/index.js]
import { spawn } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : process.argv[i + 1]
}
const runs = Number(arg('--runs', 5))
const deadlineMs = Number(arg('--deadline-s', 60)) * 1000
const index = arg('--index', undefined)
const reducer = process.argv.includes('--reducer')
const child = fileURLToPath(new URL('../test/fixtures/pressure-freed.mjs', import.meta.url))

function runOne() {
  return new Promise((resolve) => {
    const args = [
      '--max-old-space-size=128',
      ...(reducer ? [] : ['--no-memory-reducer']),
      child,
      '5000',
      String(deadlineMs),
    ]
    const p = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', ...(index === undefined ? {} : { HEAPGUARD_INDEX: index }) },
    })
    let out = ''
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    p.on('close', () => {
      const lines = out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
      const freed = lines.find((l) => l.event === 'freed')
      const done = lines.find((l) => l.event === 'done')
      resolve({ freed, done })
    })
  })
}

const load = os.loadavg()[0]
console.log(
  `node ${process.version}, --max-old-space-size=128${reducer ? '' : ' --no-memory-reducer'}, default options, ` +
    `${runs} runs, deadline ${deadlineMs / 1000} s after the free, build ${index ?? 'dist/'}; load average ${load.toFixed(2)}`,
)
const results = []
for (let i = 0; i < runs; i++) {
  const { freed, done } = await runOne()
  const back = done?.level === 'normal'
  results.push(back ? done.msAfterFree : null)
  console.log(
    `run ${i + 1}: freed at ${freed?.level} (ratio ${freed?.ratio?.toFixed(3)}); ` +
      (back
        ? `normal ${(done.msAfterFree / 1000).toFixed(1)} s after the free`
        : `still ${done?.level} after ${deadlineMs / 1000} s`),
  )
}
const ok = results.filter((ms) => ms !== null && ms <= 30_000).length
console.log(`${ok} of ${runs} runs back at normal within 30 s (load average ${os.loadavg()[0].toFixed(2)} after)`)
