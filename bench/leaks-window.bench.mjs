// What a leak window costs a busy server: the squeeze server's route (bench/leaks/window-server.mjs)
// at a fixed request rate, CPU per request (the server's process.cpuUsage(), every thread) in three
// kinds of phase, in the same run: no window; V8's sampler alone (512 KiB, no read); and a
// heapguard window with default options (the sampler and its checkpoints, each a forced full GC).
// The kinds rotate in each round, so drift and warm-up fall on all of them.
// Target: ≤ 1 % more CPU per request with a window open.
// --max-pause-ms sets the window's maxPauseMs (default 250): a checkpoint predicted to pause longer
// is skipped, and with it its GC; a large value measures windows whose every checkpoint is read.
//   node bench/leaks-window.bench.mjs [--rate 800] [--phase-seconds 60] [--rounds 3] [--checkpoints 4] [--max-pause-ms 250]
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { keyStream } from './squeeze/keys.mjs'
import { runLoad } from './squeeze/load.mjs'

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const rate = arg('--rate', 800)
const phaseMs = arg('--phase-seconds', 60) * 1000
const rounds = arg('--rounds', 3)
const checkpoints = arg('--checkpoints', 4)
const maxPauseMs = arg('--max-pause-ms', 250)

const child = fork(new URL('./leaks/window-server.mjs', import.meta.url), [], {
  execArgv: ['--max-old-space-size=512'],
  env: { ...process.env, LEAKS_MAX_PAUSE_MS: String(maxPauseMs) },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
process.on('exit', () => child.kill('SIGKILL'))
const waiting = new Map()
child.on('message', (m) => {
  const resolve = waiting.get(m.type)
  waiting.delete(m.type)
  resolve?.(m)
})
const next = (type) => new Promise((resolve) => waiting.set(type, resolve))
const ask = (type, extra = {}) => {
  const answer = next(type)
  child.send({ type, ...extra })
  return answer
}

const { port } = await next('ready')
// Mostly a hot set of 4,000 keys (the cache holds them at steady state), 10 % new keys.
const keys = keyStream({ seed: 11, hotShare: 0.9, hotKeys: 4000 })
const load = (durationMs) => runLoad({ port, durationMs, rate, connections: 32, keys })

console.log(
  `node ${process.version}, ${rate} requests/s, phases of ${phaseMs / 1000} s, ${rounds} rounds, maxPauseMs ${maxPauseMs}; loadavg at start ${loadavg()}`,
)
await load(10_000) // warm-up: JIT, the hot set in the cache

const KINDS = ['none', 'sampler', 'window']

async function phase(kind) {
  const report = kind === 'none' ? null : next('report')
  if (kind === 'window') child.send({ type: 'capture', durationMs: phaseMs, checkpoints })
  if (kind === 'sampler') child.send({ type: 'sampler', durationMs: phaseMs })
  const before = await ask('cpu')
  const result = await load(phaseMs)
  const window = report === null ? null : await report
  const after = await ask('cpu')
  const cpuUs = after.cpu.user + after.cpu.system - (before.cpu.user + before.cpu.system)
  const served = after.served - before.served
  const gc = Object.fromEntries(Object.keys(after.gc).map((k) => [k, after.gc[k] - before.gc[k]]))
  return {
    kind,
    usPerRequest: cpuUs / served,
    served,
    ok: result.ok,
    sent: result.sent,
    window,
    level: after.level,
    gc,
  }
}

const rows = []
for (let i = 0; i < rounds; i++) {
  // Rotate the order: none/sampler/window, sampler/window/none, window/none/sampler.
  for (let k = 0; k < KINDS.length; k++) rows.push(await phase(KINDS[(i + k) % KINDS.length]))
}
child.disconnect()

const fmt = (n, d = 1) => n.toFixed(d)
console.log(
  'phase  kind      CPU/request   served   2xx/sent      checkpoints (skipped)   longest pause   level    scavenges (ms)   mark-compacts (ms)',
)
rows.forEach((r, i) => {
  const w = r.kind === 'window' ? r.window : null
  const cps = w === null ? '' : w.error ? w.error : `${w.checkpoints} (${w.skipped})`
  const pause = w === null || w.error ? '' : `${fmt(w.pauseMs)} ms`
  console.log(
    `${String(i + 1).padEnd(6)} ${r.kind.padEnd(8)} ${`${fmt(r.usPerRequest)} µs`.padStart(12)} ${String(r.served).padStart(8)}   ${`${r.ok}/${r.sent}`.padStart(11)}   ${cps.padStart(21)}   ${pause.padStart(13)}   ${r.level.padEnd(6)}   ${`${r.gc.minor} (${fmt(r.gc.minorMs, 0)})`.padStart(14)}   ${`${r.gc.major} (${fmt(r.gc.majorMs, 0)})`.padStart(18)}`,
  )
})
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const spread = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`
const of = (kind) => rows.filter((r) => r.kind === kind).map((r) => r.usPerRequest)
// Per round: each kind against that round's phase without a window.
const against = (kind) =>
  Array.from({ length: rounds }, (_, i) => {
    const round = rows.slice(i * KINDS.length, (i + 1) * KINDS.length)
    return round.find((r) => r.kind === kind).usPerRequest / round.find((r) => r.kind === 'none').usPerRequest - 1
  })
const pct = (xs) => xs.map((r) => `${r >= 0 ? '+' : ''}${fmt(r * 100)} %`).join(', ')
console.log(`no window ${fmt(mean(of('none')))} µs/request (${spread(of('none'))})`)
for (const kind of ['sampler', 'window']) {
  console.log(
    `${kind.padEnd(9)} ${fmt(mean(of(kind)))} µs/request (${spread(of(kind))}); against the round's no-window phase: ${pct(against(kind))}; mean ${fmt(mean(against(kind)) * 100)} %`,
  )
}
console.log(`loadavg at end ${loadavg()}`)
