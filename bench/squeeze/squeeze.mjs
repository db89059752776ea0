// The squeeze: each server variant, in turn, under the same load; then the table, the charts
// (results/<variant>.svg) and the raw numbers (results/results.json).
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { startServer } from './child.mjs'
import { keyStream } from './keys.mjs'
import { percentile, probeAfterLoad, runLoad } from './load.mjs'
import { chartSvg } from './svg.mjs'
import { VALUE_CHARS } from './value.mjs'
import { CACHE_MAX, HEAP_MIB, MiB, UNDER_PRESSURE_HEAP_BYTES, VARIANTS } from './variants.mjs'

const RESULTS = new URL('./results/', import.meta.url)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const round = (n, digits = 1) => (n === null || n === undefined ? null : Math.round(n * 10 ** digits) / 10 ** digits)

/** Writes results/<file>: the run's results with the machine, the Node version and the load around it. */
export function writeResults(file, { started, loadBefore, config, results }) {
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    loadavgBefore: loadBefore,
    loadavgAfter: os.loadavg(),
  }
  const run = { started: started.toISOString(), node: process.version, machine, config, results }
  writeFileSync(new URL(file, RESULTS), JSON.stringify(run, null, 1) + '\n')
}

/** Reads positive numbers from the environment: `number(NAME, fallback)`. */
export function envNumbers(env) {
  return (name, fallback) => {
    const value = env[name] === undefined ? fallback : Number(env[name])
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`${name} must be a positive number, got ${env[name]}`)
    return value
  }
}

/** The load every variant gets; each value can be overridden from the environment. */
export function loadConfig(env = process.env) {
  const number = envNumbers(env)
  return {
    seconds: number('SQUEEZE_SECONDS', 60),
    rate: number('SQUEEZE_RATE', 2000),
    connections: number('SQUEEZE_CONNECTIONS', 20),
    hotShare: number('SQUEEZE_HOT_SHARE', 0.2),
    hotKeys: number('SQUEEZE_HOT_KEYS', 500),
    settleS: 5, // quiet time after the load before checking that the server serves again
    seed: 7,
  }
}

/** Contiguous spans of one state over time: [{ from, to, state }]. */
function spans(points, stateOf, endS) {
  const out = []
  for (const point of points) {
    const state = stateOf(point)
    const last = out.at(-1)
    if (last !== undefined && last.state === state) continue
    if (last !== undefined) last.to = point.t
    out.push({ from: point.t, to: endS, state })
  }
  return out
}

async function runVariant(name, config, prefix) {
  const variant = VARIANTS[name]
  console.log(`\n### ${variant.title}`)
  const server = await startServer(name)
  const loadStart = Date.now()
  const load = await runLoad({
    port: server.port,
    durationMs: config.seconds * 1000,
    rate: config.rate,
    connections: config.connections,
    keys: keyStream({ seed: config.seed, hotShare: config.hotShare, hotKeys: config.hotKeys }),
  })
  const loadEnd = Date.now()
  await sleep(config.settleS * 1000)
  const after = await probeAfterLoad({ port: server.port })
  const report = await server.report()
  const probedAt = Date.now()
  await sleep(500) // a few more samples after the probe, for the chart
  const exit = await server.stop()
  const crashed = server.exit.at < probedAt && exit.code !== 0
  const toS = (at) => (at - loadStart) / 1000
  const loadS = (loadEnd - loadStart) / 1000

  const series = server.samples.map((s) => ({ ...s, t: toS(s.at) })).filter((s) => s.t >= 0)
  const duringLoad = series.filter((s) => s.t <= loadS)

  // Level transitions: heapguard reports them itself; under-pressure's state is sampled.
  let changes
  if (name === 'heapguard') changes = server.changes.map((c) => ({ t: toS(c.at), to: c.to }))
  else if (name === 'under-pressure') {
    changes = spans(series, (s) => s.underPressure, loadS)
      .slice(1)
      .map((s) => ({ t: s.from, to: s.state ? 'refusing' : 'serving' }))
  } else changes = null
  const inLoad = changes?.filter((c) => c.t >= 0 && c.t <= loadS) ?? null
  const secondHalf = inLoad?.filter((c) => c.t > loadS / 2) ?? null

  const sortedAll = load.latencyAll.sort((a, b) => a - b)
  const sortedOk = load.latencyOk.sort((a, b) => a - b)
  const hotServed = load.hot.hits + load.hot.misses
  // The hot set once the cache is warm: the second half of the load (null when nothing was served then).
  const lateHot = load.timeline.slice(Math.floor(config.seconds / 2), config.seconds)
  const lateHits = lateHot.reduce((n, s) => n + s.hotHits, 0)
  const lateServed = lateHits + lateHot.reduce((n, s) => n + s.hotMisses, 0)
  const summary = {
    variant: name,
    title: variant.title,
    crashed,
    crashAtS: crashed ? round(toS(server.exit.at)) : null,
    exit: { code: exit.code, signal: exit.signal, outOfMemory: exit.oom && crashed },
    sent: load.sent,
    ok2xx: load.ok,
    shed503: load.shed,
    otherStatus: load.otherStatus,
    errors: load.errors,
    errorKinds: load.errorKinds,
    share2xx: round(load.ok / load.sent, 4),
    latencyMs: {
      p50: round(percentile(sortedAll, 50), 2),
      p99: round(percentile(sortedAll, 99), 2),
      p50_2xx: round(percentile(sortedOk, 50), 2),
      p99_2xx: round(percentile(sortedOk, 99), 2),
      max: round(sortedAll.at(-1) ?? null, 1),
    },
    peakHeapMiB: round(Math.max(0, ...duringLoad.map((s) => s.heapUsed)) / MiB),
    finalHeapMiB: round((series.at(-1)?.heapUsed ?? 0) / MiB),
    hotHitRatio: hotServed === 0 ? null : round(load.hot.hits / hotServed, 3),
    hotHitRatioSecondHalf: lateServed === 0 ? null : round(lateHits / lateServed, 3),
    hot: load.hot,
    transitions: inLoad === null ? null : inLoad.length,
    transitionsPerMinute: inLoad === null ? null : round(inLoad.length / (loadS / 60)),
    transitionsPerMinuteSecondHalf: secondHalf === null ? null : round(secondHalf.length / (loadS / 120)),
    changes,
    servesAfterLoad: after.ok === after.of,
    afterLoad: after,
    guardReport: report,
    timeline: load.timeline,
  }

  const bands =
    name === 'heapguard'
      ? spans(
          [{ t: 0, level: 'normal' }, ...changes.map((c) => ({ t: c.t, level: c.to }))],
          (p) => p.level,
          series.at(-1)?.t ?? loadS,
        )
      : name === 'under-pressure'
        ? spans(series, (s) => (s.underPressure ? 'under pressure' : 'serving'), series.at(-1)?.t ?? loadS)
        : []
  const lines =
    name === 'under-pressure'
      ? [{ mib: UNDER_PRESSURE_HEAP_BYTES / MiB, label: 'maxHeapUsedBytes', color: '#9333ea', dash: '2 3' }]
      : []
  const outcome = crashed
    ? `crashed (out of memory) at ${summary.crashAtS} s`
    : `survived · ${(summary.share2xx * 100).toFixed(1)} % 2xx · hot-set hit ratio ${summary.hotHitRatio ?? 'n/a'}`
  const svg = chartSvg({
    title: variant.title,
    subtitle: outcome,
    series: series.map((s) => ({
      t: s.t,
      heapMiB: s.heapUsed / MiB,
      cacheMiB: ((s.entries ?? 0) * VALUE_CHARS) / MiB,
    })),
    bands,
    lines,
    loadEndS: loadS,
    crashS: crashed ? summary.crashAtS : null,
    durationS: Math.ceil(config.seconds + config.settleS + 3),
    limitMiB: HEAP_MIB,
  })
  writeFileSync(new URL(`${prefix}${name}.svg`, RESULTS), svg)
  summary.samples = series.map((s) => ({
    t: round(s.t, 2),
    heapMiB: round(s.heapUsed / MiB),
    entries: s.entries,
    level: s.level,
    underPressure: s.underPressure,
  }))
  printSummary(summary)
  return summary
}

function printSummary(s) {
  const l = s.latencyMs
  console.log(
    `  ${s.crashed ? `CRASHED at ${s.crashAtS} s` : 'survived'} · sent ${s.sent} · 2xx ${s.ok2xx} (${(s.share2xx * 100).toFixed(1)} %) · 503 ${s.shed503} · other ${s.otherStatus} · errors ${s.errors} ${JSON.stringify(s.errorKinds)}`,
  )
  console.log(
    `  latency p50 ${l.p50} ms · p99 ${l.p99} ms (2xx only: ${l.p50_2xx} / ${l.p99_2xx}) · peak heap ${s.peakHeapMiB} MiB · hot-set hit ratio ${s.hotHitRatio} (second half ${s.hotHitRatioSecondHalf})`,
  )
  console.log(
    `  transitions ${s.transitions ?? 'n/a'} (${s.transitionsPerMinute ?? 'n/a'}/min, ${s.transitionsPerMinuteSecondHalf ?? 'n/a'}/min in the second half) · after the load: ${s.afterLoad.ok}/${s.afterLoad.of} 2xx`,
  )
}

/** The markdown table of BENCHMARKS.md. */
export function markdownTable(results) {
  const cell = (v) => (v === null || v === undefined ? 'n/a' : String(v))
  const rows = [
    ['', ...results.map((r) => r.title.replace(/ \(.*\)$/, ''))],
    ['crashed (OOM)', ...results.map((r) => (r.crashed ? `**yes, at ${r.crashAtS.toFixed(1)} s**` : 'no'))],
    ['requests sent', ...results.map((r) => r.sent)],
    ['2xx', ...results.map((r) => `${r.ok2xx} (${(r.share2xx * 100).toFixed(1)} %)`)],
    ['503', ...results.map((r) => r.shed503)],
    ['errors (refused, reset, timeout)', ...results.map((r) => r.errors)],
    [
      'latency p50 / p99, all answers (ms)',
      ...results.map((r) => `${cell(r.latencyMs.p50)} / ${cell(r.latencyMs.p99)}`),
    ],
    [
      'latency p50 / p99, 2xx (ms)',
      ...results.map((r) => `${cell(r.latencyMs.p50_2xx)} / ${cell(r.latencyMs.p99_2xx)}`),
    ],
    ['peak heap used (MiB)', ...results.map((r) => r.peakHeapMiB)],
    [
      'hot-set hit ratio (whole load; second half)',
      ...results.map((r) => `${cell(r.hotHitRatio)}; ${cell(r.hotHitRatioSecondHalf)}`),
    ],
    [
      'state transitions / min (whole load; second half)',
      ...results.map((r) =>
        r.transitions === null ? 'n/a' : `${r.transitionsPerMinute}; ${r.transitionsPerMinuteSecondHalf}`,
      ),
    ],
    [
      'serves again after the load (20 × /ping)',
      ...results.map((r) => `${r.servesAfterLoad ? 'yes' : 'no'} (${r.afterLoad.ok}/20)`),
    ],
  ]
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n')
}

/** Runs the named variants (default all three) and writes the results. */
export async function runSqueeze(names = Object.keys(VARIANTS), config = loadConfig()) {
  mkdirSync(RESULTS, { recursive: true })
  const started = new Date()
  const loadBefore = os.loadavg()
  console.log(
    `squeeze: ${config.rate} req/s offered for ${config.seconds} s over ${config.connections} connections to 127.0.0.1; ` +
      `${Math.round((1 - config.hotShare) * 100)} % new keys, ${Math.round(config.hotShare * 100)} % from ${config.hotKeys} hot keys; ` +
      `values ${VALUE_CHARS / 1024} KiB, cache max ${CACHE_MAX}; servers run with --max-old-space-size=${HEAP_MIB}`,
  )
  // Only the full run with the default load replaces the published results; any other run writes
  // partial-* files beside them.
  const defaults = loadConfig({})
  const canonical =
    names.length === Object.keys(VARIANTS).length && Object.keys(defaults).every((key) => defaults[key] === config[key])
  const prefix = canonical ? '' : 'partial-'
  const results = []
  for (const name of names) results.push(await runVariant(name, config, prefix))
  const table = markdownTable(results)
  console.log(`\n${table}`)
  const file = canonical ? 'results.json' : `partial-${names.join('-')}.json`
  writeResults(file, {
    started,
    loadBefore,
    config: { ...config, heapMiB: HEAP_MIB, cacheMax: CACHE_MAX, valueChars: VALUE_CHARS },
    results,
  })
  console.log(`\nwrote ${new URL(file, RESULTS).pathname} and ${names.map((n) => `${prefix}${n}.svg`).join(', ')}`)
  return results
}
