// Soak: 1,000,000 samples through one controller with listeners attached and caches cycling
// through every level. Reports the controller's own heap slope after GC (bytes per 100k samples),
// which must stay flat: nothing may accumulate per sample or per transition.
//   node --expose-gc bench/soak.bench.mjs [--samples N]
import { createController } from '../dist/index.js'

if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc (node bench/run.mjs soak does)')
  process.exit(1)
}
const argIndex = process.argv.indexOf('--samples')
const total = argIndex === -1 ? 1_000_000 : Number(process.argv[argIndex + 1])

let t = 0
let ratio = 0.1
const pressure = createController({
  sources: [{ name: 'fake', read: () => ({ used: ratio * 1e9, limit: 1e9 }) }],
  autoStart: false,
  now: () => t,
  recoveryMs: 50,
})
let samples = 0
let levels = 0
pressure.on('sample', () => samples++)
pressure.on('level', () => levels++)
const errors = []
pressure.on('error', (e) => errors.push(e))
const caches = ['essential', 'normal', 'optional'].map((priority) =>
  pressure.caches.lru(`soak-${priority}`, { max: 2_000, priority }),
)

// A ratio wave that visits every level about every 2,000 samples.
const wave = (i) => 0.5 + 0.5 * Math.sin((i / 2000) * 2 * Math.PI)
const checkpoints = []
const every = total / 10
const start = performance.now()
for (let i = 1; i <= total; i++) {
  t += 5
  ratio = wave(i)
  pressure.sample()
  const c = caches[i % 3]
  c.set(i % 5_000, i)
  c.get((i * 7) % 5_000)
  if (i % every === 0) {
    gc()
    gc()
    checkpoints.push({ i, heap: process.memoryUsage().heapUsed })
  }
}
const elapsed = performance.now() - start

// Least-squares slope of heap over samples, ignoring the first checkpoint (warm-up).
const pts = checkpoints.slice(1)
const mx = pts.reduce((a, p) => a + p.i, 0) / pts.length
const my = pts.reduce((a, p) => a + p.heap, 0) / pts.length
const slope = pts.reduce((a, p) => a + (p.i - mx) * (p.heap - my), 0) / pts.reduce((a, p) => a + (p.i - mx) ** 2, 0)
const perHundredK = slope * 100_000
pressure.close()

console.log(`samples: ${samples.toLocaleString()}  level changes: ${levels.toLocaleString()}  time: ${(elapsed / 1000).toFixed(1)} s (${((elapsed * 1e6) / total).toFixed(0)} ns per sample + cache ops)`)
console.log('heap after GC at each checkpoint (MiB):', checkpoints.map((p) => (p.heap / 2 ** 20).toFixed(2)).join(' '))
console.log(`heap slope: ${(perHundredK / 1024).toFixed(2)} KiB per 100k samples (${perHundredK > 64 * 1024 ? 'GROWING' : 'flat'})`)
if (samples !== total || errors.length > 0) {
  console.error(`expected ${total} sample events and no error, got ${samples} and ${errors.length} errors`, errors[0])
  process.exit(1)
}
