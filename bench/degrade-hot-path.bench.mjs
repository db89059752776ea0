// What the degradation helpers cost on a request's hot path, against baselines measured in the
// same process: a plain object field read (what `flag.enabled` should cost), a Map lookup plus a
// field read (what `features.enabled(name)` should cost), an awaited Promise.resolve(), an
// awaited setTimeout+clearTimeout pair and the same plus a new AbortSignal (what withTimeout() is
// built from: Node 20 takes microseconds to create an AbortSignal).
//   node bench/degrade-hot-path.bench.mjs [--rounds N] [--ms PER_ROUND]
import { createController, withTimeout } from '../dist/index.js'
import { median, nsPerAsyncCall, nsPerCall } from './lib/timing.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const rounds = arg('--rounds', 7)
const msPerRound = arg('--ms', 200)

const source = { name: 'fake', read: () => ({ used: 1, limit: 100 }) }
const pressure = createController({ autoStart: false, sources: [source] })
const flag = pressure.features.flag('ai-cache')
for (let i = 0; i < 20; i++) pressure.features.flag(`other-${i}`)
const pageSize = pressure.limits.scale({ normal: 100, warning: 50, critical: 10 })
const plain = { enabled: true }
const map = new Map([['ai-cache', plain]])
const query = { take: '50', skip: '200', q: 'shoes' }

let sink = 0
const sync = {
  'plain object field read (baseline)': () => {
    sink += plain.enabled ? 1 : 0
  },
  'flag.enabled': () => {
    sink += flag.enabled ? 1 : 0
  },
  'Map.get(name).enabled (baseline)': () => {
    sink += map.get('ai-cache').enabled ? 1 : 0
  },
  "features.enabled('ai-cache')": () => {
    sink += pressure.features.enabled('ai-cache') ? 1 : 0
  },
  'scaled.value': () => {
    sink += pageSize.value
  },
  'limits.page(query, { max: scaled })': () => {
    sink += pressure.limits.page(query, { default: 20, max: pageSize }).take
  },
}
const async = {
  'await Promise.resolve() (baseline)': async () => {
    sink += await Promise.resolve(1)
  },
  'await setTimeout+clearTimeout (baseline)': async () => {
    const t = setTimeout(() => {}, 1000)
    t.unref()
    sink += await Promise.resolve(1)
    clearTimeout(t)
  },
  'await (new AbortController().signal) (baseline)': async () => {
    const t = setTimeout(() => {}, 1000)
    t.unref()
    sink += (await Promise.resolve(new AbortController().signal)).aborted ? 0 : 1
    clearTimeout(t)
  },
  'await withTimeout(promise, 1000)': async () => {
    sink += await withTimeout(Promise.resolve(1), 1000)
  },
  'await withTimeout(fn, 1000)': async () => {
    sink += await withTimeout(() => 1, 1000)
  },
}

const results = {}
for (const fn of Object.values(sync)) nsPerCall(fn, msPerRound)
for (const fn of Object.values(async)) await nsPerAsyncCall(fn, msPerRound)
for (const name of [...Object.keys(sync), ...Object.keys(async)]) results[name] = []
// Interleaved rounds so drift on a shared machine hits every case alike.
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(sync)) results[name].push(nsPerCall(fn, msPerRound))
  for (const [name, fn] of Object.entries(async)) results[name].push(await nsPerAsyncCall(fn, msPerRound))
}
pressure.close()

const baselineOf = {
  'flag.enabled': 'plain object field read (baseline)',
  "features.enabled('ai-cache')": 'Map.get(name).enabled (baseline)',
  'scaled.value': 'plain object field read (baseline)',
  'limits.page(query, { max: scaled })': 'plain object field read (baseline)',
  'await withTimeout(promise, 1000)': 'await setTimeout+clearTimeout (baseline)',
  'await withTimeout(fn, 1000)': 'await (new AbortController().signal) (baseline)',
}
console.log(`node ${process.version}, ${rounds} rounds × ${msPerRound} ms per case, median ns per call (min–max)`)
console.log('case'.padEnd(42), 'ns/call'.padStart(9), 'range'.padStart(15), '  vs baseline')
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs)
  const range = `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`
  const base = baselineOf[name]
  const ratio = base ? `${(m / median(results[base])).toFixed(2)}× ${base.replace(' (baseline)', '')}` : ''
  console.log(name.padEnd(42), m.toFixed(1).padStart(9), range.padStart(15), ' ', ratio)
}
if (sink === 0.5) console.log(sink)
