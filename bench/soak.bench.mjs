// Soak: 1,000,000 samples through one controller with listeners of every kind attached and caches
// cycling through every level. Reports the heap left after forced GCs at ten checkpoints and its
// least-squares slope (KiB per 100k samples), which must stay flat: nothing may accumulate per
// sample, per transition or per listener call.
//
// Two cases, each in its own child process, with the same ratio wave and the same cache traffic:
//   baseline    — the application's own work: plain lru-caches, the same sets and gets;
//   controller  — the same through heapguard: a sample per iteration, managed caches resized at
//                 every transition, flags, shedding, level hooks, a pausable task, scaled limits.
// The baseline's slope is the noise floor; the controller's heap minus the baseline's is what the
// controller itself keeps (its bounded history, among others).
//
//   npx tsup && node --expose-gc bench/soak.bench.mjs [--samples N]
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { LRUCache } from 'lru-cache'
import { createController } from '../dist/index.js'

const argOf = (name) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}
const total = Number(argOf('--samples') ?? 1_000_000)
const which = argOf('--case')
/** Above this slope the heap is growing: 64 KiB per 100k samples is under 1 byte per sample. */
const FLAT_KIB_PER_100K = 64
const CACHE_MAX = 2_000
const KEYS = 5_000
const PRIORITIES = ['critical', 'high', 'normal', 'low']

if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc (node bench/run.mjs soak does)')
  process.exit(1)
}
if (!Number.isInteger(total) || total < 10_000 || total % 10 !== 0) {
  console.error(`--samples must be a whole multiple of 10, at least 10,000; got ${argOf('--samples')}`)
  process.exit(1)
}

if (which === undefined) runParent()
else runCase(which)

// ---------------------------------------------------------------------------------------------

function runParent() {
  const results = ['baseline', 'controller'].map((name) => {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--case', name, '--samples', String(total)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 110_000,
      },
    )
    if (child.status !== 0) {
      console.error(`case ${name} failed (status ${child.status}, signal ${child.signal})\n${child.stdout}`)
      process.exit(1)
    }
    return JSON.parse(child.stdout.trim().split('\n').at(-1))
  })
  const [base, ctl] = results
  const mib = (b) => (b / 2 ** 20).toFixed(2)
  console.log(
    `soak: ${total.toLocaleString()} iterations per case, heap after 2 × gc() at every ${(total / 10).toLocaleString()}\n`,
  )
  console.log('| case | ns / iteration | heap at checkpoints 1…10 (MiB) | slope (KiB / 100k samples) |')
  console.log('|---|---:|---|---:|')
  for (const r of results) {
    console.log(
      `| ${r.case} | ${r.nsPerIteration.toFixed(0)} | ${r.checkpoints.map((c) => mib(c.heap)).join(' ')} | ${r.slopeKiBPer100k.toFixed(2)} |`,
    )
  }
  const kept = ctl.checkpoints.at(-1).heap - base.checkpoints.at(-1).heap
  console.log(
    `\ncontroller: ${ctl.samples.toLocaleString()} samples, ${ctl.levelChanges.toLocaleString()} level changes ` +
      `(${ctl.transitionsPerLevel}), ${ctl.refused.toLocaleString()} refusals, ${ctl.flagChanges.toLocaleString()} flag changes, ` +
      `${ctl.hookCalls.toLocaleString()} level-hook calls, ${ctl.evictions.toLocaleString()} evictions; history ${ctl.history}, transitions kept ${ctl.transitionsKept}`,
  )
  console.log(
    `time: ${(ctl.nsPerIteration / base.nsPerIteration).toFixed(2)} × the baseline per iteration (${(ctl.nsPerIteration - base.nsPerIteration).toFixed(0)} ns more)`,
  )
  console.log(`heap the controller keeps (controller − baseline at the last checkpoint): ${mib(kept)} MiB`)
  const growing = results.filter((r) => r.slopeKiBPer100k > FLAT_KIB_PER_100K)
  console.log(
    `verdict: ${growing.length === 0 ? 'flat' : `GROWING (${growing.map((r) => r.case).join(', ')})`} (limit ${FLAT_KIB_PER_100K} KiB per 100k samples)`,
  )
  // A leak is a bug, not a slow machine: fail the run.
  if (growing.length > 0) process.exit(1)
}

// ---------------------------------------------------------------------------------------------

function runCase(name) {
  // A ratio wave through every level about every 2,000 samples (5 ms apart by the injected clock).
  const wave = (i) => 0.5 + 0.5 * Math.sin((i / 2000) * 2 * Math.PI)
  const world = name === 'baseline' ? baselineWorld() : name === 'controller' ? controllerWorld(wave) : undefined
  if (world === undefined) throw new Error(`unknown case ${name}`)
  const { caches, step, summary } = world

  const checkpoints = []
  const every = total / 10
  let busy = 0 // time spent in the loop, checkpoints (GC) excluded
  let started = performance.now()
  for (let i = 1; i <= total; i++) {
    step(i, wave(i))
    const cache = caches[i % caches.length]
    cache.set(i % KEYS, i)
    cache.get((i * 7) % KEYS)
    if (i % every === 0) {
      busy += performance.now() - started
      gc()
      gc()
      checkpoints.push({ i, heap: process.memoryUsage().heapUsed })
      started = performance.now()
    }
  }

  // Least-squares slope of heap over iterations, leaving out the first checkpoint (warm-up, JIT).
  const points = checkpoints.slice(1)
  const mx = points.reduce((a, p) => a + p.i, 0) / points.length
  const my = points.reduce((a, p) => a + p.heap, 0) / points.length
  const slope =
    points.reduce((a, p) => a + (p.i - mx) * (p.heap - my), 0) / points.reduce((a, p) => a + (p.i - mx) ** 2, 0)
  const result = {
    case: name,
    nsPerIteration: (busy * 1e6) / total,
    checkpoints,
    slopeKiBPer100k: (slope * 100_000) / 1024,
    ...summary(),
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

function baselineWorld() {
  const caches = [0, 1, 2].map(() => new LRUCache({ max: CACHE_MAX }))
  let level = 0
  return {
    caches,
    // The same arithmetic the controller case does per sample, without heapguard.
    step: (_i, ratio) => {
      level = ratio >= 0.95 ? 3 : ratio >= 0.85 ? 2 : ratio >= 0.7 ? 1 : 0
    },
    summary: () => ({ level }),
  }
}

function controllerWorld() {
  let t = 0
  let ratio = 0.1
  const pressure = createController({
    sources: [{ name: 'fake', read: () => ({ used: ratio * 1e9, limit: 1e9 }) }],
    autoStart: false,
    now: () => t,
    recoveryMs: 50,
  })
  const counts = { samples: 0, levelChanges: 0, refused: 0, flagChanges: 0, hookCalls: 0 }
  const errors = []
  pressure.on('sample', () => counts.samples++)
  pressure.on('level', () => counts.levelChanges++)
  pressure.on('error', (e) => errors.push(e))
  pressure.features.flag('recommendations', { offAt: 'critical' }).on('change', () => counts.flagChanges++)
  pressure.features.flag('exports', { offAt: 'warning' }).on('change', () => counts.flagChanges++)
  pressure.shed.on('refused', () => counts.refused++)
  pressure.onLevel('critical', () => counts.hookCalls++)
  pressure.onLevel('warning', () => counts.hookCalls++, { on: 'leave' })
  pressure.tasks.every('reindex', 60_000, () => {}, { pauseAt: 'warning' })
  const pageSize = pressure.limits.scale({ normal: 100, warning: 50, critical: 20, emergency: 5 })
  const caches = ['essential', 'normal', 'optional'].map((priority) =>
    pressure.caches.lru(`soak-${priority}`, { max: CACHE_MAX, priority }),
  )
  // One with a byte budget, so byte capacities are exercised at every transition too.
  caches.push(pressure.caches.lru('soak-bytes', { max: CACHE_MAX, maxSize: CACHE_MAX * 8, sizeCalculation: () => 8 }))
  let pages = 0
  return {
    caches,
    step: (i, next) => {
      t += 5
      ratio = next
      pressure.sample()
      pressure.shed.admit(PRIORITIES[i & 3])
      pages += pageSize.value
    },
    summary: () => {
      const result = {
        ...counts,
        transitionsPerLevel: Object.entries(pressure.transitionCounts())
          .map(([to, n]) => `${n} to ${to}`)
          .join(', '),
        evictions: pressure.caches.stats().reduce((a, s) => a + s.evictions, 0),
        history: pressure.history().length,
        transitionsKept: pressure.transitions().length,
        pages,
        errors: errors.length,
      }
      pressure.close()
      if (counts.samples !== total || errors.length > 0) {
        console.error(
          `expected ${total} sample events and no error, got ${counts.samples} and ${errors.length} errors`,
          errors[0],
        )
        process.exit(1)
      }
      return result
    },
  }
}
