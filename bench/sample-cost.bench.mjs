// The cost of one pressure.sample() with three listeners attached, against what it is built
// from, measured in the same process: a bare v8.getHeapStatistics(), process.memoryUsage.rss(),
// process.memoryUsage(), the source reads alone (the difference is the controller's own work:
// level machine, history, events), and the sample with:
// - today's defaults as of 0.1.0: heap + an RSS source reading process.memoryUsage.rss();
// - the new defaults in a container: heap + rssSource() (a kept-open /proc/self/statm) +
//   cgroupSource() (a kept-open memory.current / memory.usage_in_bytes). On a machine without a
//   container limit the defaults leave cgroupSource() out; it is added by hand here so that its
//   cost is measured, and the defaults outside a container (heap + rss) are measured too.
//   node bench/sample-cost.bench.mjs [--rounds N] [--ms PER_ROUND]
import { closeSync, openSync, readSync } from 'node:fs'
import v8 from 'node:v8'
import { cgroupSource, createController, heapSource, rssSource } from '../dist/index.js'
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
const cgroup = cgroupSource()
const limit = rss.read().limit
/** rssSource() as it was in 0.1.0: process.memoryUsage.rss() on every read. */
const oldRss = () => ({ name: 'rss', read: () => ({ used: process.memoryUsage.rss(), limit }) })
const logger = { warn() {}, error: console.error }
const build = (sources) => withListeners(createController({ autoStart: false, sources, logger }))
const before = build([heapSource(), oldRss()])
const pressure = build([heapSource(), rssSource(), cgroupSource()])
const outside = build([heapSource(), rssSource()])
const heapOnly = build([heapSource()])

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
  'rssSource().read() (statm)': () => {
    sink += rss.read().used
  },
  'cgroupSource().read()': () => {
    sink += cgroup.read().used
  },
  'heap + rss + cgroup reads': () => {
    sink += heap.read().used + rss.read().used + cgroup.read().used
  },
  'pressure.sample() (0.1.0: heap + rss())': () => {
    sink += before.sample().ratio
  },
  'pressure.sample() (heap + rss + cgroup)': () => {
    sink += pressure.sample().ratio
  },
  'pressure.sample() (heap + rss, statm)': () => {
    sink += outside.sample().ratio
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
for (const c of [before, pressure, outside, heapOnly]) c.close()
rss.close?.()
cgroup.close?.()

const base = median(results['v8.getHeapStatistics()'])
console.log(`node ${process.version}, ${rounds} rounds × ${msPerRound} ms per case, median ns per call (min–max)`)
console.log('case'.padEnd(44), 'ns/call'.padStart(9), 'range'.padStart(17), 'vs getHeapStatistics'.padStart(22))
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs)
  const range = `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
  console.log(name.padEnd(44), m.toFixed(0).padStart(9), range.padStart(17), `${(m / base).toFixed(2)}×`.padStart(22))
}
const old = median(results['pressure.sample() (0.1.0: heap + rss())'])
const now = median(results['pressure.sample() (heap + rss + cgroup)'])
const zero = Buffer.alloc(16)
const fd = openSync('/dev/zero', 'r')
const preadFloor = nsPerCall(() => readSync(fd, zero, 0, 16, 0), msPerRound)
closeSync(fd)
console.log(`one fs.readSync() of /dev/zero (the floor of any pread from JavaScript here): ${preadFloor.toFixed(0)} ns`)
console.log(
  `\nheap + rss + cgroup against 0.1.0's heap + rss(): ${(now / old).toFixed(2)}× (${now.toFixed(0)} vs ${old.toFixed(0)} ns)`,
)
if (!(sink > 0) || seen !== 0) console.error('unexpected:', { sink, seen })
