// get/set throughput of a managed cache (pressure.caches.lru) against raw lru-cache with the same
// options, measured in the same process in interleaved rounds. Target: managed ≥ 90 % of raw.
//   npx tsup && node bench/run.mjs cache-throughput
import { LRUCache } from 'lru-cache'
import { createController } from '../dist/index.js'

const MAX = 100_000
const OPS = 1_000_000
const ROUNDS = 16

const pressure = createController({ sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }], autoStart: false })

// Keys and access patterns are precomputed so the loops measure the caches, not the workload.
const keys = Array.from({ length: 2 * MAX }, (_, i) => `key:${i}`)
let seed = 42
const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
const hot = Uint32Array.from({ length: OPS }, () => Math.floor(random() * MAX)) // always held
const wide = Uint32Array.from({ length: OPS }, () => Math.floor(random() * 2 * MAX)) // half misses
const value = { id: 1, name: 'cached value' }

// Each case is compiled separately for each side (new Function), so raw and managed never share
// a call site's inline caches: a polymorphic `cache.get` would tax both sides.
const CASES = {
  'get (hits)': `
    let found = 0
    for (let i = 0; i < OPS; i++) if (cache.get(keys[hot[i]]) !== undefined) found++
    return found`,
  'set (evicting)': `
    for (let i = 0; i < OPS; i++) cache.set(keys[wide[i]], value)
    return cache.size`,
  'mixed 90 % get / 10 % set': `
    let found = 0
    for (let i = 0; i < OPS; i++) {
      const key = keys[wide[i]]
      if (i % 10 === 0) cache.set(key, value)
      else if (cache.get(key) !== undefined) found++
    }
    return found`,
}
function compile(body) {
  const fn = new Function('cache', 'keys', 'hot', 'wide', 'value', 'OPS', body)
  return (cache) => fn(cache, keys, hot, wide, value, OPS)
}

function makeRaw() {
  const cache = new LRUCache({ max: MAX })
  for (let i = 0; i < MAX; i++) cache.set(keys[i], value)
  return cache
}
let made = 0
function makeManaged() {
  const cache = pressure.caches.lru(`bench-${made++}`, { max: MAX })
  for (let i = 0; i < MAX; i++) cache.set(keys[i], value)
  return cache
}

// Operations per second of CPU time (user + system) rather than wall time: the machine is shared,
// and time the OS gives to other processes would otherwise land on whichever side was running.
function opsPerSecond(run, cache) {
  const start = process.cpuUsage()
  run(cache)
  const used = process.cpuUsage(start)
  return (OPS / (used.user + used.system)) * 1e6
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (n) => `${(n / 1e6).toFixed(2)} M ops/s`

console.log(`lru-cache max ${MAX.toLocaleString()}, ${OPS.toLocaleString()} ops per run, ${ROUNDS} interleaved rounds (medians, ops per CPU-second)`)
console.log(`${'case'.padEnd(28)} ${'raw lru-cache'.padStart(16)} ${'managed'.padStart(16)}   managed / raw`)
let worst = Infinity
for (const [name, body] of Object.entries(CASES)) {
  const runRaw = compile(body)
  const runManaged = compile(body)
  const raw = []
  const managed = []
  const rawCache = makeRaw()
  const managedCache = makeManaged()
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so warm-up and GC timing do not favour one side.
    if (round % 2 === 0) {
      raw.push(opsPerSecond(runRaw, rawCache))
      managed.push(opsPerSecond(runManaged, managedCache))
    } else {
      managed.push(opsPerSecond(runManaged, managedCache))
      raw.push(opsPerSecond(runRaw, rawCache))
    }
  }
  // The first two rounds are warm-up. The ratio is the median of per-round ratios: each pair ran
  // back to back, so a burst of load from other processes hits both sides of a pair alike.
  const r = median(raw.slice(2))
  const m = median(managed.slice(2))
  const ratio = median(managed.slice(2).map((x, i) => x / raw[i + 2]))
  worst = Math.min(worst, ratio)
  console.log(`${name.padEnd(28)} ${fmt(r).padStart(16)} ${fmt(m).padStart(16)}   ${(ratio * 100).toFixed(1)} %`)
}
console.log(`worst ratio: ${(worst * 100).toFixed(1)} % of raw (target ≥ 90 %)`)

// Informational: under pressure the managed cache enforces a capacity below max itself.
{
  pressure.force('warning')
  const cap = 75_000
  const rawSmall = new LRUCache({ max: cap })
  const managedFull = makeManaged() // registered at warning: capacity 0 (empty when pressure began)
  pressure.force('normal')
  for (let i = 0; i < MAX; i++) managedFull.set(keys[i], value)
  pressure.force('warning') // 0.75 × 100,000 held = 75,000
  for (let i = 0; i < cap; i++) rawSmall.set(keys[i], value)
  const runRaw = compile(CASES['set (evicting)'])
  const runManaged = compile(CASES['set (evicting)'])
  const raw = []
  const managed = []
  for (let round = 0; round < 6; round++) {
    raw.push(opsPerSecond(runRaw, rawSmall))
    managed.push(opsPerSecond(runManaged, managedFull))
  }
  const r = median(raw.slice(1))
  const m = median(managed.slice(1))
  console.log(
    `at warning (capacity ${managedFull.capacity.toLocaleString()} of max ${MAX.toLocaleString()}), set vs raw lru-cache max ${cap.toLocaleString()}: ` +
      `${fmt(r)} vs ${fmt(m)} = ${((m / r) * 100).toFixed(1)} %`,
  )
}
pressure.close()
