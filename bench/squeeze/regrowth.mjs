// The regrowth benchmark: the squeeze's heapguard server under bursts that refill the cache the
// moment pressure is over. Each cycle is a burst of the squeeze's load, then a trickle of hot
// keys until the level is back at normal, and the next burst starts right then. Compares
// `regrowMs: 0` (capacity back at max at once), the default (30 s, linear) and two other
// curves, in one run; see BENCHMARKS.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { buildWithCurve } from './build-curve.mjs'
import { startServer } from './child.mjs'
import { keyStream } from './keys.mjs'
import { runLoad } from './load.mjs'
import { REGROWTH_VARIANTS } from './regrowth-variants.mjs'
import { loadConfig } from './squeeze.mjs'
import { HEAP_MIB, MiB } from './variants.mjs'

const RESULTS = new URL('./results/', import.meta.url)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const round = (n, digits = 1) => (n === null || n === undefined ? null : Math.round(n * 10 ** digits) / 10 ** digits)
const RANK = { normal: 0, warning: 1, critical: 2, emergency: 3 }

export function regrowthConfig(env = process.env) {
  const number = (name, fallback) => {
    const value = env[name] === undefined ? fallback : Number(env[name])
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`${name} must be a positive number, got ${env[name]}`)
    return value
  }
  return {
    ...loadConfig(env),
    cycles: number('REGROWTH_CYCLES', 3),
    burstS: number('REGROWTH_BURST_SECONDS', 30),
    // The quiet between bursts: hot keys only, at a trickle, until the level is normal (at most this long).
    quietMaxS: number('REGROWTH_QUIET_MAX_SECONDS', 60),
    quietRate: number('REGROWTH_QUIET_RATE', 50),
  }
}

/** The level of the newest heap sample the server sent (100 ms apart). */
const levelNow = (server) => server.samples.at(-1)?.level ?? 'normal'

async function runVariant(name, config) {
  const variant = REGROWTH_VARIANTS[name]
  console.log(`\n### ${variant.title}`)
  const server = await startServer(name)
  const keys = keyStream({ seed: config.seed, hotShare: config.hotShare, hotKeys: config.hotKeys })
  const start = Date.now()
  const bursts = []
  const quiets = []
  for (let cycle = 0; cycle < config.cycles; cycle++) {
    const from = Date.now()
    const load = await runLoad({
      port: server.port,
      durationMs: config.burstS * 1000,
      rate: config.rate,
      connections: config.connections,
      keys,
    })
    bursts.push({ from, to: Date.now(), load })
    if (cycle === config.cycles - 1) break
    // The quiet: a trickle of hot keys until the level is back at normal, then at once the next burst.
    const quietFrom = Date.now()
    const trickle = await runLoad({
      port: server.port,
      durationMs: config.quietMaxS * 1000,
      rate: config.quietRate,
      connections: 2,
      keys: keyStream({ seed: 11 + cycle, hotShare: 1, hotKeys: config.hotKeys }),
      until: () => levelNow(server) === 'normal',
    })
    quiets.push({ from: quietFrom, to: Date.now(), recovered: levelNow(server) === 'normal', load: trickle })
  }
  await sleep(3000)
  const report = await server.report()
  // Crashed means died under the load, not at the stop below.
  const crashed = server.exit !== null
  const exit = await server.stop()
  const end = Date.now()

  const changes = server.changes.map((c) => ({ at: c.at, to: c.to }))
  const within = (from, to) => changes.filter((c) => c.at >= from && c.at <= to)
  const burstS = bursts.reduce((s, b) => s + (b.to - b.from) / 1000, 0)
  const inBursts = bursts.flatMap((b) => within(b.from, b.to))
  // Bursts after a recovery: they start right after the level came back to normal.
  const refills = bursts.slice(1)
  const refillS = refills.reduce((s, b) => s + (b.to - b.from) / 1000, 0)
  const inRefills = refills.flatMap((b) => within(b.from, b.to))
  const sum = (list, pick) => list.reduce((s, x) => s + pick(x), 0)
  const hot = (list) => {
    const hits = sum(list, (b) => b.load.hot.hits)
    const served = hits + sum(list, (b) => b.load.hot.misses)
    return served === 0 ? null : round(hits / served, 3)
  }
  // How long each refill burst ran before pressure came back (null when it never did).
  const backToPressure = refills.map((b) => {
    const next = within(b.from, b.to).find((c) => c.to !== 'normal')
    return next === undefined ? null : round((next.at - b.from) / 1000, 2)
  })
  const samples = server.samples.filter((s) => s.at >= start)
  const peakIn = (list) =>
    round(
      Math.max(0, ...samples.filter((s) => list.some((b) => s.at >= b.from && s.at <= b.to)).map((s) => s.heapUsed)) /
        MiB,
    )
  const summary = {
    variant: name,
    title: variant.title,
    crashed,
    exit: { code: exit.code, signal: exit.signal, outOfMemory: exit.oom },
    cycles: config.cycles,
    recoveredEveryQuiet: quiets.every((q) => q.recovered),
    quietS: quiets.map((q) => round((q.to - q.from) / 1000)),
    sent: sum(bursts, (b) => b.load.sent),
    ok2xx: sum(bursts, (b) => b.load.ok),
    shed503: sum(bursts, (b) => b.load.shed),
    errors: sum(bursts, (b) => b.load.errors),
    transitionsInBursts: inBursts.length,
    transitionsPerMinuteInBursts: round(inBursts.length / (burstS / 60)),
    transitionsInRefills: inRefills.length,
    transitionsPerMinuteInRefills: round(inRefills.length / (refillS / 60)),
    transitionsTotal: within(start, end).length,
    highestLevelInRefills: inRefills.reduce((top, c) => (RANK[c.to] > RANK[top] ? c.to : top), 'normal'),
    secondsToPressureAfterRecovery: backToPressure,
    hotHitRatioAll: hot(bursts),
    hotHitRatioRefills: hot(refills),
    peakHeapMiBRefills: peakIn(refills),
    changes: changes.map((c) => ({ t: round((c.at - start) / 1000, 2), to: c.to })),
    bursts: bursts.map((b) => ({ fromS: round((b.from - start) / 1000), toS: round((b.to - start) / 1000) })),
    guardReport: report,
    samples: samples.map((s) => ({
      t: round((s.at - start) / 1000, 2),
      heapMiB: round(s.heapUsed / MiB),
      entries: s.entries,
      capacity: s.capacity,
      level: s.level,
    })),
  }
  console.log(
    `  ${summary.crashed ? 'CRASHED' : 'survived'} · transitions in bursts ${summary.transitionsInBursts} (${summary.transitionsPerMinuteInBursts}/min; after recovery ${summary.transitionsPerMinuteInRefills}/min, highest ${summary.highestLevelInRefills}) · pressure back after ${JSON.stringify(backToPressure)} s · hot-set hit ratio ${summary.hotHitRatioAll} (after recovery ${summary.hotHitRatioRefills}) · 2xx ${summary.ok2xx}/${summary.sent} · quiet ${JSON.stringify(summary.quietS)} s`,
  )
  return summary
}

export function markdownTable(results) {
  const base = results[0]
  const ratio = (value, of) => (value === null || of === null || of === 0 ? 'n/a' : `${(value / of).toFixed(2)}×`)
  const cell = (v) => (v === null || v === undefined ? 'n/a' : String(v))
  const rows = [
    ['', ...results.map((r) => r.title)],
    ['crashed', ...results.map((r) => (r.crashed ? '**yes**' : 'no'))],
    ['level back at normal in every quiet', ...results.map((r) => (r.recoveredEveryQuiet ? 'yes' : 'no'))],
    [
      'transitions / min in bursts after a recovery (vs regrowMs 0)',
      ...results.map(
        (r) =>
          `${r.transitionsPerMinuteInRefills} (${ratio(r.transitionsPerMinuteInRefills, base.transitionsPerMinuteInRefills)})`,
      ),
    ],
    ['transitions / min over all bursts', ...results.map((r) => cell(r.transitionsPerMinuteInBursts))],
    ['highest level after a recovery', ...results.map((r) => r.highestLevelInRefills)],
    [
      'seconds of refill until pressure returns',
      ...results.map((r) => r.secondsToPressureAfterRecovery.map(cell).join(', ')),
    ],
    [
      'hot-set hit ratio after a recovery (vs regrowMs 0)',
      ...results.map((r) => `${cell(r.hotHitRatioRefills)} (${ratio(r.hotHitRatioRefills, base.hotHitRatioRefills)})`),
    ],
    ['hot-set hit ratio over all bursts', ...results.map((r) => cell(r.hotHitRatioAll))],
    ['2xx / sent in bursts', ...results.map((r) => `${r.ok2xx} / ${r.sent}`)],
    ['peak heap after a recovery (MiB)', ...results.map((r) => cell(r.peakHeapMiBRefills))],
  ]
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n')
}

export async function runRegrowth(names = Object.keys(REGROWTH_VARIANTS), config = regrowthConfig()) {
  mkdirSync(RESULTS, { recursive: true })
  for (const name of names) {
    const { curve } = REGROWTH_VARIANTS[name]
    if (curve !== undefined) await buildWithCurve(curve)
  }
  const started = new Date()
  const loadBefore = os.loadavg()
  console.log(
    `regrowth: ${config.cycles} bursts of ${config.burstS} s at ${config.rate} req/s (${Math.round((1 - config.hotShare) * 100)} % new keys), ` +
      `each after a trickle of hot keys (${config.quietRate} req/s) that lasts until the level is normal; heap ${HEAP_MIB} MiB`,
  )
  const results = []
  for (const name of names) results.push(await runVariant(name, config))
  console.log(`\n${markdownTable(results)}`)
  const file = new URL(
    names.length === Object.keys(REGROWTH_VARIANTS).length
      ? 'regrowth.json'
      : `partial-regrowth-${names.join('-')}.json`,
    RESULTS,
  )
  writeFileSync(
    file,
    JSON.stringify(
      {
        started: started.toISOString(),
        node: process.version,
        machine: {
          cpus: os.cpus().length,
          model: os.cpus()[0]?.model,
          loadavgBefore: loadBefore,
          loadavgAfter: os.loadavg(),
        },
        config: { ...config, heapMiB: HEAP_MIB },
        results,
      },
      null,
      1,
    ) + '\n',
  )
  console.log(`\nwrote ${file.pathname}`)
  return results
}
