// get/set throughput of a managed cache (pressure.caches.lru) against raw lru-cache with the same
// options. Each case runs in its own child process (so one case's JIT feedback, e.g. a get that
// only ever hit, never shapes another's code); inside it, raw and managed run in many short
// interleaved pairs and the ratio is the median of the per-pair ratios (both runs of a pair see
// the same load from other processes on this shared machine). Target: managed ≥ 90 % of raw.
//   npx tsup && node bench/run.mjs cache-throughput
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { LRUCache } from 'lru-cache'
import { createController } from '../dist/index.js'

const MAX = 10_000 // fits in CPU caches, so the wrapper's own cost is not hidden behind memory stalls
const OPS = 200_000 // per run
const PAIRS = 60
const WARMUP = 5

// Keys and access patterns are precomputed so the loops measure the caches, not the workload.
const keys = Array.from({ length: 2 * MAX }, (_, i) => `key:${i}`)
let seed = 42
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
const hot = Uint32Array.from({ length: OPS }, () => Math.floor(random() * MAX)) // always held
const wide = Uint32Array.from({ length: OPS }, () => Math.floor(random() * 2 * MAX)) // half misses
const value = { id: 1, name: 'cached value' }

const CASES = {
  'get (hits)': `
    let found = 0
    for (let i = 0; i < OPS; i++) if (cache.get(keys[hot[i]]) !== undefined) found++
    return found`,
  'get (half misses)': `
    let found = 0
    for (let i = 0; i < OPS; i++) if (cache.get(keys[wide[i]]) !== undefined) found++
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
// The same loops on a cache under a byte budget (`createController({ caches: { budget } })`): every
// entry is sized and stamped with the shared recency tick. Both sides get the same sizeCalculation
// (raw lru-cache with a maxSize), so what is measured is the budget's own work.
for (const name of ['get (hits)', 'set (evicting)', 'mixed 90 % get / 10 % set']) {
  CASES[`${name} · budget`] = CASES[name]
}
const BUDGETED = (name) => name.endsWith(' · budget')
const unitSize = () => 1

// Each loop is compiled once per side (new Function), so raw and managed never share a call
// site: a polymorphic `cache.get` inline cache would slow both sides and blur the comparison.
function compile(body) {
  const fn = new Function('cache', 'keys', 'hot', 'wide', 'value', 'OPS', body)
  return (cache) => fn(cache, keys, hot, wide, value, OPS)
}

function filled(cache) {
  for (let i = 0; i < MAX; i++) cache.set(keys[i], value)
  return cache
}

/** CPU microseconds (user + system) of one run: time the OS gives to other processes is not counted. */
function cpuMicros(run, cache) {
  const start = process.cpuUsage()
  run(cache)
  const used = process.cpuUsage(start)
  return used.user + used.system
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rate = (micros) => `${(OPS / micros).toFixed(2)} M ops/s`

function measure(name) {
  const body = CASES[name]
  const runRaw = compile(body)
  const runManaged = compile(body)
  const pressure = createController({
    sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
    autoStart: false,
  })
  // A budget as large as the cache: the global eviction runs when a set makes the cache full.
  const budgetPressure = createController({
    sources: [{ name: 'fake', read: () => ({ used: 0, limit: 1 }) }],
    autoStart: false,
    caches: { budget: MAX },
  })
  const budgeted = BUDGETED(name)
  const raw = filled(new LRUCache(budgeted ? { max: MAX, maxSize: MAX, sizeCalculation: unitSize } : { max: MAX }))
  const managed = filled(
    budgeted
      ? budgetPressure.caches.lru('bench', { max: MAX, sizeCalculation: unitSize })
      : pressure.caches.lru('bench', { max: MAX }),
  )
  for (let i = 0; i < WARMUP; i++) {
    runRaw(raw)
    runManaged(managed)
  }
  const rawMicros = []
  const managedMicros = []
  const ratios = []
  for (let pair = 0; pair < PAIRS; pair++) {
    // Alternate which side goes first within a pair.
    let r, m
    if (pair % 2 === 0) {
      r = cpuMicros(runRaw, raw)
      m = cpuMicros(runManaged, managed)
    } else {
      m = cpuMicros(runManaged, managed)
      r = cpuMicros(runRaw, raw)
    }
    rawMicros.push(r)
    managedMicros.push(m)
    ratios.push(r / m) // managed throughput / raw throughput
  }
  pressure.close()
  budgetPressure.close()
  return { raw: median(rawMicros), managed: median(managedMicros), ratio: median(ratios) }
}

if (process.argv[2] === '--case') {
  console.log(JSON.stringify(measure(process.argv[3])))
} else {
  console.log(
    `lru-cache max ${MAX.toLocaleString()}, ${OPS.toLocaleString()} ops per run, ${PAIRS} interleaved pairs per case (medians, CPU time)`,
  )
  console.log(`${'case'.padEnd(28)} ${'raw lru-cache'.padStart(16)} ${'managed'.padStart(16)}   managed / raw`)
  let worst = Infinity
  let worstBudget = Infinity
  for (const name of Object.keys(CASES)) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--case', name], { encoding: 'utf8' })
    if (child.status !== 0) {
      process.stderr.write(child.stderr)
      process.exit(1)
    }
    const { raw, managed, ratio } = JSON.parse(child.stdout.trim().split('\n').at(-1))
    if (BUDGETED(name)) worstBudget = Math.min(worstBudget, ratio)
    else worst = Math.min(worst, ratio)
    console.log(
      `${name.padEnd(28)} ${rate(raw).padStart(16)} ${rate(managed).padStart(16)}   ${(ratio * 100).toFixed(1)} %`,
    )
  }
  console.log(`worst ratio: ${(worst * 100).toFixed(1)} % of raw (target ≥ 90 %)`)
  console.log(`worst ratio under a budget: ${(worstBudget * 100).toFixed(1)} % of raw lru-cache with the same sizes`)
}
