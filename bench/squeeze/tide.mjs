// The high tide: the squeeze's fastify server under a 128 MiB heap serves cache traffic, and for
// 20 s one export a second arrives that holds a large payload (20 MiB, or 12 MiB) for 4 s. Each
// run is one server variant with one payload size; all of them in one run of the benchmark, so
// heapguard with reservations is compared with heapguard without them on the same machine.
import { mkdirSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import { startServer } from './child.mjs'
import { keyStream } from './keys.mjs'
import { probeAfterLoad, runLoad } from './load.mjs'
import { envNumbers, writeResults } from './squeeze.mjs'
import { HEAP_MIB, MiB, RESERVE_FACTOR, TIDE_VARIANTS } from './variants.mjs'

const RESULTS = new URL('./results/', import.meta.url)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const round = (n, digits = 1) => (n === null || n === undefined ? null : Math.round(n * 10 ** digits) / 10 ** digits)

/** The default runs: every reconciliation rule and no reservations at 20 MiB, then the 12 MiB tide. */
export const DEFAULT_RUNS = [
  'tide:none:20',
  'tide:growth:20',
  'tide:floor:20',
  'tide:hold:20',
  'tide:none:12',
  'tide:growth:12',
  'tide:floor:12',
  'tide:hold:12',
]

/** The scenario; each value can be overridden from the environment. */
export function tideConfig(env = process.env) {
  const number = envNumbers(env)
  return {
    seconds: number('TIDE_SECONDS', 40),
    rate: number('TIDE_RATE', 1500),
    connections: number('TIDE_CONNECTIONS', 20),
    hotShare: 0.2,
    hotKeys: 500,
    exportsFromS: number('TIDE_EXPORTS_FROM_S', 10),
    exports: number('TIDE_EXPORTS', 20),
    exportEveryMs: 1000,
    holdMs: number('TIDE_HOLD_MS', 4000),
    /** The hot-set hit ratio "after" is measured over the last seconds of the load, after the last export. */
    afterS: 5,
    seed: 7,
  }
}

/** One export request on its own connection: its status, or the error that ended it. */
function exportOnce(port, mib, holdMs) {
  return new Promise((resolve) => {
    const sentAt = performance.now()
    const request = http.get(
      { agent: false, host: '127.0.0.1', port, path: `/export?mib=${mib}&holdMs=${holdMs}` },
      (response) => {
        response.resume()
        response.on('end', () => resolve({ status: response.statusCode, ms: performance.now() - sentAt }))
        response.on('error', (error) => resolve({ error: error.code ?? error.message }))
      },
    )
    request.setTimeout(30_000, () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })))
    request.on('error', (error) => resolve({ error: error.code ?? error.message }))
  })
}

/** The exports: `count` of them, one every `everyMs` from `fromMs`; resolves once all are answered. */
async function runExports({ port, fromMs, count, everyMs, mib, holdMs }) {
  const start = performance.now()
  const answers = []
  for (let i = 0; i < count; i++) {
    const wait = start + fromMs + i * everyMs - performance.now()
    if (wait > 0) await sleep(wait)
    answers.push(exportOnce(port, mib, holdMs).then((answer) => ({ ...answer, i })))
  }
  return Promise.all(answers)
}

async function runOne(run, config) {
  const [, rule, mibText] = run.split(':')
  const name = `tide:${rule}`
  const mib = Number(mibText)
  const variant = TIDE_VARIANTS[name]
  console.log(`\n### ${variant.title}, ${mib} MiB exports`)
  const server = await startServer(name)
  const loadStart = Date.now()
  const [load, exports] = await Promise.all([
    runLoad({
      port: server.port,
      durationMs: config.seconds * 1000,
      rate: config.rate,
      connections: config.connections,
      keys: keyStream({ seed: config.seed, hotShare: config.hotShare, hotKeys: config.hotKeys }),
    }),
    runExports({
      port: server.port,
      fromMs: config.exportsFromS * 1000,
      count: config.exports,
      everyMs: config.exportEveryMs,
      mib,
      holdMs: config.holdMs,
    }),
  ])
  await sleep(2000)
  const after = await probeAfterLoad({ port: server.port })
  const report = await server.report()
  const probedAt = Date.now()
  const exit = await server.stop()
  const crashed = server.exit.at < probedAt && exit.code !== 0
  const toS = (at) => (at - loadStart) / 1000
  const samples = server.samples.map((s) => ({ ...s, t: toS(s.at) })).filter((s) => s.t >= 0 && s.t <= config.seconds)
  const late = load.timeline.slice(config.seconds - config.afterS, config.seconds)
  const lateHits = late.reduce((n, s) => n + s.hotHits, 0)
  const lateServed = lateHits + late.reduce((n, s) => n + s.hotMisses, 0)
  const done = exports.filter((e) => e.status === 200).length
  const refused = exports.filter((e) => e.status === 503).length
  const summary = {
    run,
    title: variant.title,
    mib,
    reserves: rule === 'none' ? 0 : Math.round(RESERVE_FACTOR * mib * 10) / 10,
    crashed,
    crashAtS: crashed ? round(toS(server.exit.at)) : null,
    exit: { code: exit.code, signal: exit.signal, outOfMemory: exit.oom && crashed },
    cache: {
      sent: load.sent,
      ok2xx: load.ok,
      shed503: load.shed,
      other: load.otherStatus,
      errors: load.errors,
      share2xx: round(load.ok / load.sent, 4),
    },
    exports: {
      done,
      refused,
      lost: exports.length - done - refused,
      kinds: exports.map((e) => e.status ?? e.error),
    },
    hotHitRatioAfter: lateServed === 0 ? null : round(lateHits / lateServed, 3),
    peakHeapMiB: round(Math.max(0, ...samples.map((s) => s.heapUsed)) / MiB),
    peakReservedMiB: round(Math.max(0, ...samples.map((s) => s.reserved ?? 0)) / MiB),
    levels: server.changes.map((c) => ({
      t: round(toS(c.at), 2),
      to: c.to,
      ratio: round(c.ratio, 3),
      reason: c.reason,
      floors: c.floors,
    })),
    servesAfterLoad: after.ok === after.of,
    guardReport: report,
    samples: samples.map((s) => ({
      t: round(s.t, 2),
      heapMiB: round(s.heapUsed / MiB),
      oldCommittedMiB: round(s.oldCommitted / MiB),
      oldAvailableMiB: round(s.oldAvailable / MiB),
      reservedMiB: round((s.reserved ?? 0) / MiB),
      entries: s.entries,
      level: s.level,
    })),
  }
  printSummary(summary)
  return summary
}

function printSummary(s) {
  const c = s.cache
  const e = s.exports
  console.log(
    `  ${s.crashed ? `CRASHED at ${s.crashAtS} s (${s.exit.outOfMemory ? 'out of memory' : `exit ${s.exit.code ?? s.exit.signal}`})` : 'survived'}` +
      ` · cache traffic ${c.sent} sent, ${(c.share2xx * 100).toFixed(2)} % 2xx (503 ${c.shed503}, other ${c.other}, errors ${c.errors})`,
  )
  console.log(
    `  exports: ${e.done} done, ${e.refused} refused (503), ${e.lost} lost · peak heap ${s.peakHeapMiB} MiB · peak reserved ${s.peakReservedMiB} MiB · hot-set hit ratio after ${s.hotHitRatioAfter}`,
  )
  for (const l of s.levels)
    console.log(`    ${l.t}s → ${l.to} ${l.ratio} ${l.reason ?? ''} ${(l.floors ?? []).join(' | ')}`)
  const r = s.guardReport?.reservations
  if (r !== undefined) {
    console.log(
      `  reservations: granted ${JSON.stringify(r.granted)} refused ${JSON.stringify(r.refused)} claimed from caches ${round(r.claimedFromCaches / MiB)} MiB · expired ${r.expired}`,
    )
  }
}

/** The markdown table of BENCHMARKS.md: one column per run. */
export function markdownTable(results) {
  const rows = [
    ['', ...results.map((r) => `${r.title.replace('heapguard + reservations ', 'reservations ')}, ${r.mib} MiB`)],
    ['crashed (OOM)', ...results.map((r) => (r.crashed ? `**yes, at ${r.crashAtS} s**` : 'no'))],
    ['cache traffic 2xx', ...results.map((r) => `${(r.cache.share2xx * 100).toFixed(2)} %`)],
    [
      'exports done / refused / lost',
      ...results.map((r) => `${r.exports.done} / ${r.exports.refused} / ${r.exports.lost}`),
    ],
    ['peak heap used (MiB)', ...results.map((r) => r.peakHeapMiB)],
    ['peak reserved (MiB)', ...results.map((r) => (r.reserves === 0 ? 'n/a' : r.peakReservedMiB))],
    [
      'bytes claimed from the cache (MiB)',
      ...results.map((r) =>
        r.guardReport?.reservations === undefined || r.reserves === 0
          ? 'n/a'
          : round(r.guardReport.reservations.claimedFromCaches / MiB),
      ),
    ],
    ['hot-set hit ratio after the tide', ...results.map((r) => r.hotHitRatioAfter ?? 'n/a')],
    ['serves after the load (20 × /ping)', ...results.map((r) => (r.servesAfterLoad ? 'yes' : 'no'))],
  ]
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n')
}

/** Runs `runs` (`tide:<rule>:<mib>`) one after the other and writes results/tide.json (or partial-tide.json). */
export async function runTide(runs = DEFAULT_RUNS, config = tideConfig()) {
  mkdirSync(RESULTS, { recursive: true })
  const started = new Date()
  const loadBefore = os.loadavg()
  console.log(
    `high tide: ${config.rate} req/s of cache traffic for ${config.seconds} s over ${config.connections} connections; ` +
      `from ${config.exportsFromS} s, ${config.exports} exports one every ${config.exportEveryMs} ms, each holding its payload ${config.holdMs} ms; ` +
      `reservations of ${RESERVE_FACTOR} × the payload at priority low; --max-old-space-size=${HEAP_MIB}`,
  )
  const results = []
  for (const run of runs) results.push(await runOne(run, config))
  console.log(`\n${markdownTable(results)}`)
  const defaults = tideConfig({})
  const canonical =
    runs.join() === DEFAULT_RUNS.join() && Object.keys(defaults).every((key) => defaults[key] === config[key])
  const file = canonical ? 'tide.json' : 'partial-tide.json'
  writeResults(file, {
    started,
    loadBefore,
    config: { ...config, heapMiB: HEAP_MIB, reserveFactor: RESERVE_FACTOR },
    results,
  })
  console.log(`\nwrote ${new URL(file, RESULTS).pathname}`)
  return results
}
