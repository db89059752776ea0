// The cost of one pressure.sample() with the default sources (heap + rss) and three listeners
// attached, against what it is built from, measured in the same process: a bare
// v8.getHeapStatistics(), process.memoryUsage.rss(), process.memoryUsage(), and the two source
// reads alone (the difference is the controller's own work: level machine, history, events).
//   node bench/sample-cost.bench.mjs [--rounds N] [--ms PER_ROUND]
import v8 from 'node:v8'
import { createController, heapSource, rssSource } from '../dist/index.js'
import { median, nsPerCall } from './lib/timing.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const rounds = arg('--rounds', 7)
const msPerRound = arg('--ms', 300)

let seen = 0
const withListeners = (pressure) =>
  pressure
    .on('sample', (s) => (seen += s.ratio > 2 ? 1 : 0))
    .on('level', () => seen++)
    .on('error', (e) => {
      throw e
    })
const heap = heapSource()
const rss = rssSource()
const pressure = withListeners(createController({ autoStart: false, sources: [heap, rss] }))
const heapOnly = withListeners(createController({ autoStart: false, sources: [heapSource()] }))

let sink = 0
const cases = {
  'v8.getHeapStatistics()': () => {
    sink += v8.getHeapStatistics().used_heap_size
  },
  'process.memoryUsage.rss()': () => {
    sink += process.memoryUsage.rss()
  },
  'process.memoryUsage()': () => {
    sink += process.memoryUsage().heapUsed
  },
  'heapSource().read() + rssSource().read()': () => {
    sink += heap.read().used + rss.read().used
  },
  'pressure.sample() (defaults: heap + rss)': () => {
    sink += pressure.sample().ratio
  },
  'pressure.sample() (heap only)': () => {
    sink += heapOnly.sample().ratio
  },
}

// Warm-up (JIT), then interleaved rounds so drift on a shared machine hits every case alike.
for (const fn of Object.values(cases)) nsPerCall(fn, msPerRound)
const results = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(cases)) results[name].push(nsPerCall(fn, msPerRound))
}
pressure.close()
heapOnly.close()

const base = median(results['v8.getHeapStatistics()'])
console.log(`node ${process.version}, ${rounds} rounds × ${msPerRound} ms per case, median ns per call (min–max)`)
console.log('case'.padEnd(44), 'ns/call'.padStart(9), 'range'.padStart(17), 'vs getHeapStatistics'.padStart(22))
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs)
  const range = `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
  console.log(name.padEnd(44), m.toFixed(0).padStart(9), range.padStart(17), `${(m / base).toFixed(2)}×`.padStart(22))
}
if (!(sink > 0) || seen !== 0) console.error('unexpected:', { sink, seen })
