// How close the default size estimator is to the heap a value really keeps alive. For each shape
// (bench/lib/estimate-shapes.mjs), N distinct copies are allocated between forced full GCs and the
// growth of heapUsed + arrayBuffers per copy is the real size; it is compared with
// `estimateSize(value)` (a walk of up to 1,000 values) and with `estimateSize(value, { maxNodes: 64 })`
// (what the default `sizeCalculation` of a cache runs on every set). Then the same for whole managed
// caches: the heap a cache's entries hold against the `stats().bytes` it reports.
// Exits 1 when a target shape (strings, Buffers, plain objects) is off by more than 25 %.
//   npx tsup && node --expose-gc bench/estimate-accuracy.bench.mjs
//   (or node bench/run.mjs estimate-accuracy)
import { createController, estimateSize } from '../dist/index.js'
import { errorPercent, measureShape, SHAPES } from './lib/estimate-shapes.mjs'

const TARGET = 25

const ESTIMATES = {
  walk: (value) => estimateSize(value),
  perSet: (value) => estimateSize(value, { maxNodes: 64 }),
}

const pct = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`
const bytes = (x) => x.toFixed(0)

console.log(`Node ${process.version}; real = growth of heapUsed + arrayBuffers per copy (median of 3)`)
console.log(
  `${'shape'.padEnd(54)}${'real B'.padStart(10)}${'estimate B'.padStart(12)}${'error'.padStart(10)}${'per set B'.padStart(11)}${'error'.padStart(10)}`,
)
let missed = 0
for (const shape of SHAPES) {
  const { real, estimated } = measureShape(shape, ESTIMATES)
  const walkError = errorPercent(estimated.walk, real)
  const setError = errorPercent(estimated.perSet, real)
  const off = shape.target && (Math.abs(walkError) > TARGET || Math.abs(setError) > TARGET)
  if (off) missed++
  console.log(
    `${shape.name.padEnd(54)}${bytes(real).padStart(10)}${bytes(estimated.walk).padStart(12)}${pct(walkError).padStart(10)}${bytes(estimated.perSet).padStart(11)}${pct(setError).padStart(10)}${shape.target ? (off ? '  MISSED' : '  ✓') : ''}`,
  )
}

// Whole caches: lru-cache preallocates its arrays for `max` entries at construction, so the growth
// is the entries: their keys, their values and lru-cache's key map.
const pressure = createController({
  sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
  autoStart: false,
})
const CACHES = [
  { name: '2,000 × 10 KB one-byte strings', count: 2_000, shape: SHAPES.find((s) => s.name.endsWith('10 KB')) },
  { name: '100,000 user rows', count: 100_000, shape: SHAPES.find((s) => s.name.includes('user row')) },
]
console.log(
  `\n${'managed cache with maxSize, no sizeCalculation'.padEnd(54)}${'real B'.padStart(10)}${'stats B'.padStart(12)}${'error'.padStart(10)}`,
)
for (const { name, count, shape } of CACHES) {
  const reals = []
  let reported = 0
  for (let round = 0; round < 3; round++) {
    const cache = pressure.caches.lru(`accuracy-${round}`, { max: count, maxSize: Number.MAX_SAFE_INTEGER })
    for (let i = 0; i < 3; i++) globalThis.gc()
    const before = process.memoryUsage().heapUsed
    // Keys made here (short, so flat strings): the cache holds them and counts them.
    for (let i = 0; i < count; i++) cache.set(`key:${i}`, shape.make(i))
    for (let i = 0; i < 3; i++) globalThis.gc()
    reals.push((process.memoryUsage().heapUsed - before) / count)
    reported = cache.stats().bytes / count
    pressure.caches.unregister(cache.name)
    cache.clear()
  }
  const real = [...reals].sort((a, b) => a - b)[1]
  console.log(
    `${name.padEnd(54)}${bytes(real).padStart(10)}${bytes(reported).padStart(12)}${pct(errorPercent(reported, real)).padStart(10)}`,
  )
}
pressure.close()

if (missed > 0) {
  console.error(`\n${missed} target shape(s) off by more than ${TARGET} %`)
  process.exitCode = 1
}
