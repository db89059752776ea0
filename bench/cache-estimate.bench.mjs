// The cost of a `set` on a cache with `maxSize` and no `sizeCalculation`, where every set runs the
// default size estimator (64 values walked, the rest extrapolated), against the same cache with a
// `sizeCalculation` that costs nothing (the baseline) and against the estimator at
// `estimateSize`'s own default budget of 1,000 values (what every set paid before). Runs are
// interleaved and timed in CPU time; figures are medians.
//   npx tsup && node bench/run.mjs cache-estimate
import { createController, estimateSize } from '../dist/index.js'

const SETS = 5_000 // per run
const RUNS = 15
const KEYS = Array.from({ length: SETS }, (_, i) => `key:${i}`)

const VALUES = {
  'small object': { id: 1, name: 'Ada Lovelace', tags: ['admin', 'dev'] },
  '1,000 rows': Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `user ${i}`, email: `user${i}@example.com` })),
  'page (headers + 100 KB html)': {
    status: 200,
    headers: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-header-${i}`, `value ${i}`])),
    html: 'x'.repeat(100_000),
  },
}

const SIZING = {
  'given size (baseline)': { sizeCalculation: () => 100 },
  'default estimator (64 values)': {},
  'estimator at 1,000 values (before)': { sizeCalculation: (value, key) => estimateSize(value) + estimateSize(key) },
}

const pressure = createController({
  sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
  autoStart: false,
})
let serial = 0

/** CPU microseconds per set, for SETS sets of `value` on a fresh cache. */
function perSet(value, sizing) {
  const cache = pressure.caches.lru(`c${serial++}`, { max: SETS, maxSize: Number.MAX_SAFE_INTEGER, ...sizing })
  const start = process.cpuUsage()
  for (let i = 0; i < SETS; i++) cache.set(KEYS[i], value)
  const used = process.cpuUsage(start)
  pressure.caches.unregister(cache.name)
  return (used.user + used.system) / SETS
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

console.log(`${SETS.toLocaleString()} sets per run, ${RUNS} interleaved runs per case (medians, CPU µs per set)`)
console.log(
  `${'value'.padEnd(30)} ${Object.keys(SIZING)
    .map((s) => s.padStart(36))
    .join('')}`,
)
for (const [valueName, value] of Object.entries(VALUES)) {
  const samples = Object.fromEntries(Object.keys(SIZING).map((name) => [name, []]))
  for (let run = 0; run < RUNS + 2; run++) {
    for (const [name, sizing] of Object.entries(SIZING)) {
      const micros = perSet(value, sizing)
      if (run >= 2) samples[name].push(micros) // the first two runs warm the JIT
    }
  }
  const baseline = median(samples['given size (baseline)'])
  const cells = Object.keys(SIZING).map((name) => {
    const m = median(samples[name])
    return `${m.toFixed(2)} µs (${(m / baseline).toFixed(1)}×)`.padStart(36)
  })
  console.log(`${valueName.padEnd(30)} ${cells.join('')}`)
}
pressure.close()
