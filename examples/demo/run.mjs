// `npm run demo`: starts the demo shop (server.mjs) under a 96 MiB heap, drives it with its own
// load from this process, prints every pressure level change as it happens, and ends with a
// summary. Options: --seconds N (default 60), --keep (stay up after the load, until Ctrl-C),
// --port N (default 7077, or any free port when it is taken).
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const here = import.meta.dirname
const HEAP_MIB = 96
const MiB = 1024 * 1024
/** The demo server's recoveryMs, in seconds (see server.mjs). */
const RECOVERY_S = 3

// ---- options ---------------------------------------------------------------------------------
let args
try {
  args = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      keep: { type: 'boolean', default: false },
      port: { type: 'string', default: '7077' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values
} catch (error) {
  console.error(`${error.message}\nusage: node examples/demo/run.mjs [--seconds N] [--keep] [--port N]`)
  process.exit(2)
}
if (args.help) {
  console.log('usage: node examples/demo/run.mjs [--seconds N] [--keep] [--port N]')
  process.exit(0)
}
const seconds = Number(args.seconds)
if (!Number.isFinite(seconds) || seconds < 4 || seconds > 3600) {
  console.error(`--seconds must be a number from 4 to 3600, got ${args.seconds}`)
  process.exit(2)
}
if (!existsSync(join(here, '..', '..', 'dist', 'index.js'))) {
  console.error('The demo runs the built library: build it first (npm run demo does, or npx tsup).')
  process.exit(1)
}

// ---- output ----------------------------------------------------------------------------------
const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code) => (text) => (color ? `\x1b[${code}m${text}\x1b[0m` : String(text))
const bold = paint('1')
const dim = paint('2')
const LEVEL_COLOR = { normal: paint('32'), warning: paint('33'), critical: paint('38;5;208'), emergency: paint('31;1') }
const RANK = { normal: 0, warning: 1, critical: 2, emergency: 3 }
const lvl = (level) => LEVEL_COLOR[level]?.(level) ?? level
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`
const t0 = performance.now()
const clock = () => `${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s`
const say = (text) => console.log(`${dim(clock())}  ${text}`)

/** What holds at each level (heapguard's defaults, with this demo's caches, flag, task and routes). */
const AT_LEVEL = {
  normal: 'caches may grow to their max again, every request is admitted, reindex runs',
  warning: 'pages capped at 75 %, recommendations at 50 % of what they held when pressure began; reindex paused',
  critical:
    'recommendations cache and flag off, pages capped at 50 %, sessions 75 %; low-priority reports refused (503)',
  emergency: 'only critical requests admitted (health, dashboard, metrics); pages capped at 10 %, sessions 50 %',
}

// ---- the demo server ---------------------------------------------------------------------------
const child = fork(join(here, 'server.mjs'), [], {
  execArgv: [`--max-old-space-size=${HEAP_MIB}`],
  env: { ...process.env, DEMO_PORT: args.port },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
let finished = false
const levelLog = [] // { at, to } in ms since start, for the time spent at each level
child.on('exit', (code, signal) => {
  if (finished) return
  console.error(`\nThe demo server stopped unexpectedly (${signal ?? `exit code ${code}`}).`)
  process.exit(1)
})

const ready = new Promise((resolve) => {
  child.on('message', (message) => {
    if (message.type === 'ready') resolve(message)
    else if (message.type === 'level') onLevel(message)
    else if (message.type === 'leaks') onLeaks(message)
    else pending.get(message.type)?.(message)
  })
})
const pending = new Map()
function ask(type) {
  return new Promise((resolve) => {
    pending.set(type, (m) => {
      pending.delete(type)
      resolve(m)
    })
    child.send({ type })
  })
}

function onLevel(change) {
  levelLog.push({ at: performance.now() - t0, to: change.to })
  const up = RANK[change.to] > RANK[change.from]
  const arrow = up ? '▲' : '▼'
  const ratio = change.ratio.toFixed(2)
  const heapText = `heap ${mib(change.heapUsed)} of ${mib(change.heapLimit)}`
  say(`${bold(arrow)} ${lvl(change.from)} → ${lvl(change.to)}  ratio ${ratio}  ${heapText}`)
  const why = change.forced
    ? up
      ? 'forced by the operator; '
      : 'the forced level ends and the measured level applies again; '
    : up
      ? ''
      : `${RECOVERY_S} s below the exit line; `
  console.log(`${' '.repeat(9)}${dim(why + AT_LEVEL[change.to])}`)
}

/** heapguard's leak report, when the window asked for in phase 2 ends. */
let leaks = null
function onLeaks(message) {
  leaks = message
  if (message.error) return say(`${bold('What grows')}: no window (${message.error})`)
  say(`${bold('What grows')}: heapguard's leak report (pressure.leaks.capture())`)
  for (const line of message.text.split('\n')) console.log(`${' '.repeat(9)}${dim(line)}`)
}

// ---- the load ----------------------------------------------------------------------------------
const agent = new Agent({ keepAlive: true, maxSockets: 48 })
const counts = { sent: 0, served: 0, shed: 0, errors: 0 }
const byKind = {}
let inFlight = 0
let port = 0

/** One request; `most` caps how many of this kind may be in flight (a client with a pool of its own). */
function hit(kind, path, most = Infinity) {
  const k = (byKind[kind] ??= { sent: 0, served: 0, shed: 0, errors: 0, inFlight: 0 })
  if (k.inFlight >= most) return
  counts.sent++
  inFlight++
  k.sent++
  k.inFlight++
  const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
    res.resume()
    res.on('end', () => {
      inFlight--
      k.inFlight--
      const bucket = res.statusCode === 503 ? 'shed' : res.statusCode < 400 ? 'served' : 'errors'
      counts[bucket]++
      k[bucket]++
    })
  })
  req.on('error', () => {
    inFlight--
    k.inFlight--
    counts.errors++
    k.errors++
  })
  req.end()
}

let nextProduct = 1000
const hot = () => Math.floor(Math.random() ** 2 * 200) // 200 popular products, some more than others
/**
 * The phases, as fractions of the run. Each stream is [per second, request maker]; the rate may be
 * a function of the progress through the phase (0..1).
 * Rates are fixed, not scaled with the length, so a longer run holds each phase longer.
 */
const PHASES = [
  {
    until: 0.2,
    title: 'warm-up: 200 popular products, mostly served from the caches; "recently viewed" keeps every view (a leak)',
    streams: [
      [120, () => hit('product', `/api/product/${hot()}`)],
      [40, () => hit('session', `/api/session/u${Math.floor(Math.random() * 300)}`)],
      [150, () => hit('viewed', `/api/viewed/${hot()}?user=u${Math.floor(Math.random() * 300)}`)],
    ],
    // A window of the sampling heap profiler while the caches are settled and the leak goes on.
    start: (phaseMs) => child.send({ type: 'capture', durationMs: Math.max(2000, Math.min(15_000, phaseMs)) }),
  },
  {
    until: 0.42,
    title: 'browsing: a new product on every request, the caches fill and the heap grows',
    streams: [
      [330, () => hit('product', `/api/product/${nextProduct++}`)],
      [60, () => hit('session', `/api/session/u${Math.floor(Math.random() * 1500)}`)],
      [50, () => hit('viewed', `/api/viewed/${hot()}?user=u${Math.floor(Math.random() * 1500)}`)],
    ],
  },
  {
    until: 0.6,
    title:
      'rush: more and more heavy reports (4 MiB for 2 s, low priority, 4 at most at once) and imports (1 MiB, normal)',
    streams: [
      [150, () => hit('product', `/api/product/${nextProduct++}`)],
      [40, () => hit('session', `/api/session/u${Math.floor(Math.random() * 1500)}`)],
      // Reports come faster and faster until critical refuses them, then again after recovery.
      [(progress) => 1 + 5 * progress, () => hit('report', '/api/report?mb=4&ms=2000', 4)],
      [4, () => hit('import', '/api/import?mb=1&ms=1000')],
      [10, () => hit('checkout', '/api/checkout')],
      [50, () => hit('viewed', `/api/viewed/${hot()}?user=u${Math.floor(Math.random() * 1500)}`)],
    ],
  },
  {
    until: 0.67,
    title: "drill: the operator flips the emergency switch for 4 s: pressure.force('emergency', { forMs: 4000 })",
    start: () => child.send({ type: 'force', level: 'emergency', forMs: 4000 }),
    streams: [
      [100, () => hit('product', `/api/product/${hot()}`)],
      [20, () => hit('session', `/api/session/u${Math.floor(Math.random() * 300)}`)],
      [10, () => hit('checkout', '/api/checkout')],
    ],
  },
  {
    until: 1,
    title: 'calm: mostly popular products; the heap falls and heapguard steps down one level at a time',
    streams: [
      [80, () => hit('product', `/api/product/${hot()}`)],
      [40, () => hit('product', `/api/product/${nextProduct++}`)],
      [20, () => hit('session', `/api/session/u${Math.floor(Math.random() * 300)}`)],
    ],
  },
]

/** Launches each stream's requests at its rate, on a 20 ms tick, never more than 200 at once. */
function runLoad(totalMs) {
  return new Promise((resolve) => {
    let phase = -1
    let credit = []
    let last = performance.now()
    const start = last
    const tick = setInterval(() => {
      const now = performance.now()
      const elapsed = now - start
      if (elapsed >= totalMs) {
        clearInterval(tick)
        resolve()
        return
      }
      const index = PHASES.findIndex((p) => elapsed < p.until * totalMs)
      if (index !== phase) {
        phase = index
        credit = PHASES[index].streams.map(() => 0)
        say(`${bold(`phase ${index + 1}/${PHASES.length}`)}  ${PHASES[index].title}`)
        const from = index === 0 ? 0 : PHASES[index - 1].until * totalMs
        PHASES[index].start?.(PHASES[index].until * totalMs - from)
      }
      const dt = (now - last) / 1000
      last = now
      const from = phase === 0 ? 0 : PHASES[phase - 1].until * totalMs
      const progress = (elapsed - from) / (PHASES[phase].until * totalMs - from)
      PHASES[phase].streams.forEach(([perSecond, make], i) => {
        const rate = typeof perSecond === 'function' ? perSecond(progress) : perSecond
        credit[i] += rate * dt
        while (credit[i] >= 1 && inFlight < 200) {
          credit[i]--
          make()
        }
        credit[i] = Math.min(credit[i], rate) // a stalled server does not earn a burst later
      })
    }, 20)
  })
}

/** A line every 5 s: where the heap is and what the load is getting. */
function startStatus() {
  let before = { ...counts }
  return setInterval(async () => {
    const s = await ask('status')
    const served = counts.served - before.served
    const shed = counts.shed - before.shed
    before = { ...counts }
    say(
      dim(
        `heap ${mib(s.heapUsed)}  ratio ${s.ratio.toFixed(2)}  level ${s.level}  ·  last 5 s: ${Math.round(served / 5)} req/s served, ${shed} shed`,
      ),
    )
  }, 5000)
}

// ---- summary ---------------------------------------------------------------------------------
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  return rows
    .map((r, i) => {
      const line = r
        .map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c])))
        .join('   ')
      return `    ${i === 0 ? dim(line) : line}`
    })
    .join('\n')
}

function timeAtLevels(totalMs) {
  const spent = { normal: 0, warning: 0, critical: 0, emergency: 0 }
  let level = 'normal'
  let since = 0
  for (const { at, to } of levelLog) {
    spent[level] += Math.min(at, totalMs) - since
    level = to
    since = Math.min(at, totalMs)
  }
  spent[level] += totalMs - since
  return spent
}

function printSummary(s, totalMs) {
  console.log(`\n${bold('Summary')} (${(totalMs / 1000).toFixed(0)} s of load)\n`)
  console.log(`  ${bold('Requests')}`)
  const kinds = Object.entries(byKind)
  console.log(
    table([
      ['endpoint', 'sent', 'served', 'shed (503)', 'errors'],
      ...kinds.map(([kind, k]) => [kind, k.sent, k.served, k.shed, k.errors]),
      ['all', counts.sent, counts.served, counts.shed, counts.errors],
    ]),
  )
  const refused = Object.entries(s.shed.refused)
    .map(([p, n]) => `${p} ${n}`)
    .join(', ')
  console.log(`    refused by priority: ${refused}`)

  console.log(`\n  ${bold('Memory')}`)
  console.log(
    `    peak heap ${mib(s.peakHeap)} of ${mib(s.heapLimit)} (ratio ${(s.peakHeap / s.heapLimit).toFixed(2)}), now ${mib(s.heapUsed)}, level now ${lvl(s.level)}`,
  )
  const spent = timeAtLevels(totalMs)
  console.log(
    table([
      ['level', 'entered', 'time spent'],
      ...Object.keys(spent).map((level) => [
        level,
        level === 'normal' ? `${s.transitionCounts.normal}×` : `${s.transitionCounts[level]}×`,
        `${(spent[level] / 1000).toFixed(1)} s`,
      ]),
    ]),
  )

  console.log(`\n  ${bold('Caches')}`)
  console.log(
    table([
      ['cache', 'priority', 'hit ratio', 'entries', 'capacity now', 'evictions'],
      ...s.caches.map((c) => [
        c.name,
        c.priority,
        `${(c.hitRatio * 100).toFixed(1)} %`,
        c.entries,
        c.capacity,
        c.evictions,
      ]),
    ]),
  )

  console.log(`\n  ${bold('Flags and tasks')}`)
  for (const f of s.features) console.log(`    flag '${f.name}' (off at ${f.offAt}): ${f.enabled ? 'on' : 'off'} now`)
  for (const t of s.tasks)
    console.log(
      `    task '${t.name}' (pauses at ${t.pauseAt}): ${t.runs} runs, ${t.failures} failures, ${t.paused ? 'paused' : 'running'} now`,
    )

  console.log(`\n  ${bold('What grows')}`)
  if (leaks === null) console.log('    the leak window had not ended when the load stopped')
  else if (leaks.error) console.log(`    no window: ${leaks.error}`)
  else if (leaks.sites.length === 0) console.log('    no allocation site grew at every checkpoint of the window')
  else
    for (const site of leaks.sites.slice(0, 3))
      console.log(
        `    ${site.fn} (${site.file.split(/[\\/]/).slice(-2).join('/')}:${site.line}) grew ${(site.bytesPerSecond / 1024).toFixed(0)} KiB/s, ${Math.round(site.share * 100)} % of the heap's growth`,
      )

  const dropped = counts.errors === 0 ? 'none failed or was dropped' : `${counts.errors} failed`
  console.log(
    `\n  ${bold('In short')}: the heap peaked at ${mib(s.peakHeap)} of ${mib(s.heapLimit)} and the process never ran out of memory;` +
      `\n  ${counts.shed} requests were refused at once with 503 and Retry-After, ${dropped}.`,
  )
}

// ---- main --------------------------------------------------------------------------------------
const info = await ready
port = info.port
const base = `http://127.0.0.1:${port}`
console.log(
  `\n${bold('heapguard demo')}: a small shop API with a ${HEAP_MIB} MiB heap (node --max-old-space-size=${HEAP_MIB})\n`,
)
console.log(`  dashboard  ${bold(`${base}/heapguard?token=${info.token}`)}`)
console.log(`  readiness  ${base}/healthz        metrics  ${base}/metrics`)
console.log(
  `\n  The load runs for ${seconds} s in ${PHASES.length} phases. heapguard watches the heap and moves between levels`,
)
console.log('  (normal, then warning at 60 %, critical at 75 %, emergency at 88 % of the heap: lower than the')
console.log('  defaults, because a 96 MiB heap is small; see server.mjs). Each change is printed with what it did.\n')

const totalMs = seconds * 1000
const status = startStatus()
await runLoad(totalMs)
clearInterval(status)
// Let the requests still in flight finish, so the counts add up.
const drainUntil = performance.now() + 5000
while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20))
const summary = await ask('summary')
printSummary(summary, totalMs)

if (args.keep) {
  console.log(`\nThe server stays up: ${bold(`${base}/heapguard?token=${info.token}`)}  (Ctrl-C to stop)`)
  process.on('SIGINT', () => {
    finished = true
    child.kill('SIGTERM')
    agent.destroy()
    process.exit(0)
  })
} else {
  finished = true
  agent.destroy()
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  console.log('')
}
