// A warm-up spike must not leave a service under pressure for its whole run: children
// (bench/lib/warmup-child.mjs) on DEFAULT options under a 128 MiB heap hold a 56 MiB dataset, take a
// 36 MiB spike for 2 s once it is loaded, then serve steady traffic; for each run, the time spent above
// `normal`, the token cache at the end (max 1,000) and the rollups run (one a second, paused at
// `warning`). Before issue 19 the spike's garbage kept one such service at `warning` for its whole load.
//   node bench/warmup.bench.mjs [--runs 3] [--seconds 60] [--index path/to/dist/index.js]
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : process.argv[i + 1]
}
const runs = Number(arg('--runs', 3))
const seconds = Number(arg('--seconds', 60))
const index = arg('--index', undefined)
const child = fileURLToPath(new URL('./lib/warmup-child.mjs', import.meta.url))

console.log(
  `node ${process.version}, --max-old-space-size=128, ${seconds} s of traffic, ${runs} runs, build ${index ?? 'dist/'}; load average ${os.loadavg()[0].toFixed(2)}`,
)
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=128', child, '--seconds', String(seconds)], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
    env: { ...process.env, NODE_OPTIONS: '', ...(index === undefined ? {} : { HEAPGUARD_INDEX: index }) },
  })
  const line = r.stdout.trim().split('\n').at(-1)
  if (r.status !== 0 || !line) {
    console.log(`run ${i + 1} failed (status ${r.status}): ${r.stderr.slice(-400)}`)
    continue
  }
  const o = JSON.parse(line)
  console.log(
    `run ${i + 1}: above normal ${o.aboveNormalS} s of ${o.seconds}; at the end ${o.levelAtEnd}, tokens ${o.tokens}/${o.capacity}, rollups ${o.rollups}`,
  )
  for (const c of o.changes) console.log(`    ${c}`)
}
console.log(`load average after: ${os.loadavg()[0].toFixed(2)}`)
