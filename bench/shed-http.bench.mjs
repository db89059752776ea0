// What load shedding costs an HTTP server at level normal. Three measurements, in one run:
//
// 1. Separate processes: requests/s and p99 of a bare node:http server, a bare Fastify app and a
//    bare Hono app (on @hono/node-server), against the same with heapguard's middleware / plugin /
//    Hono middleware / withPressure (with a real, sampling controller), and against
//    @fastify/under-pressure on the same Fastify app. Each server is a child process
//    (autocannon, here, never shares its event loop); cases are interleaved round by round and
//    compared with their baseline of the same round. A second, identical bare server shows the
//    noise floor: on a shared 2-core machine it is often ±10 %.
// 2. One process, alternating: a single server switches between "bare" and "with shedding"
//    every 100 ms while autocannon runs, and counts the CPU time and requests of each mode.
//    Both modes share the process, the machine's load and the controller's sampler, so the
//    difference is the per-request cost of the shedding path itself.
// 3. The middleware alone on stand-in request/response objects, in ns per request.
//
//   npx tsup && node bench/run.mjs shed-http
//   BENCH_SECONDS=3 BENCH_ROUNDS=5 node bench/shed-http.bench.mjs
//   node bench/shed-http.bench.mjs --profile   # where the server's CPU goes (V8 CPU profile)
import { fork } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import os from 'node:os'

/** Each variant builds a request handler `(req, res)`; Fastify ones also keep their app to listen with. */
const VARIANTS = {
  'node:http bare': async () => ({ handler: (req, res) => res.end('hello world') }),
  'node:http + heapguard middleware': async () => {
    const { createController } = await import('../dist/index.js')
    const pressure = createController() // real sources, real sampler: the level stays normal here
    const shed = pressure.shed.middleware({ priority: (req) => (req.url === '/health' ? 'critical' : 'normal') })
    return { handler: (req, res) => shed(req, res, () => res.end('hello world')) }
  },
  'fastify bare': () => fastifyVariant(async () => {}),
  'fastify + heapguard plugin': async () => {
    const { createController } = await import('../dist/index.js')
    const { heapguardFastify } = await import('../dist/fastify.js')
    const pressure = createController()
    const priority = (req) => (req.url === '/health' ? 'critical' : 'normal')
    return fastifyVariant((app) => app.register(heapguardFastify, { pressure, priority }))
  },
  // Hono on @hono/node-server, the Web Request → Response path: heapguard/hono in front of every
  // route, or heapguard/web's withPressure around one route handler.
  'hono bare': () => honoVariant(() => {}),
  // What any middleware costs Hono (it then runs its compose chain instead of calling the handler).
  'hono + no-op middleware': () => honoVariant((app) => app.use((_c, next) => next())),
  'hono + heapguard middleware': async () => {
    const { createController } = await import('../dist/index.js')
    const { heapguardHono } = await import('../dist/hono.js')
    const pressure = createController()
    const priority = (c) => (c.req.path === '/health' ? 'critical' : 'normal')
    return honoVariant((app) => app.use(heapguardHono({ pressure, priority })))
  },
  'hono + withPressure route': async () => {
    const { createController } = await import('../dist/index.js')
    const { withPressure } = await import('../dist/web.js')
    const pressure = createController()
    const route = withPressure(() => new Response('hello world'), { pressure })
    return honoVariant(
      () => {},
      (c) => route(c.req.raw),
    )
  },
  'fastify + @fastify/under-pressure': async () => {
    const { default: underPressure } = await import('@fastify/under-pressure')
    // Limits it never reaches, so that, like heapguard at level normal, it admits everything.
    const limits = { maxHeapUsedBytes: 64 * 2 ** 30, maxRssBytes: 64 * 2 ** 30, maxEventLoopDelay: 10_000 }
    return fastifyVariant((app) => app.register(underPressure, limits))
  },
}

async function honoVariant(register, route = (c) => c.text('hello world')) {
  const { Hono } = await import('hono')
  const { getRequestListener } = await import('@hono/node-server')
  const app = new Hono()
  register(app)
  app.get('/', route)
  return { handler: getRequestListener(app.fetch) }
}

async function fastifyVariant(register) {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  await register(app)
  app.get('/', async () => 'hello world')
  await app.ready()
  return { app, handler: (req, res) => app.routing(req, res) }
}

/** The separate-process cases: variant to run, and the case it is compared with. */
const CASES = {
  'node:http bare': { variant: 'node:http bare', baseline: 'node:http bare' },
  'node:http bare, second instance': { variant: 'node:http bare', baseline: 'node:http bare' },
  'node:http + heapguard middleware': { variant: 'node:http + heapguard middleware', baseline: 'node:http bare' },
  'fastify bare': { variant: 'fastify bare', baseline: 'fastify bare' },
  'fastify + heapguard plugin': { variant: 'fastify + heapguard plugin', baseline: 'fastify bare' },
  'fastify + @fastify/under-pressure': { variant: 'fastify + @fastify/under-pressure', baseline: 'fastify bare' },
  'hono bare': { variant: 'hono bare', baseline: 'hono bare' },
  'hono + no-op middleware': { variant: 'hono + no-op middleware', baseline: 'hono bare' },
  'hono + heapguard middleware': { variant: 'hono + heapguard middleware', baseline: 'hono bare' },
  'hono + withPressure route': { variant: 'hono + withPressure route', baseline: 'hono bare' },
}

/** The alternating groups: the first variant of each is the baseline. */
const GROUPS = {
  'node:http': ['node:http bare', 'node:http + heapguard middleware'],
  fastify: ['fastify bare', 'fastify + heapguard plugin', 'fastify + @fastify/under-pressure'],
  hono: ['hono bare', 'hono + no-op middleware', 'hono + heapguard middleware', 'hono + withPressure route'],
}

// ---------------------------------------------------------------- servers (child processes)

function cpuMicros() {
  const { user, system } = process.cpuUsage()
  return user + system
}

async function listen(variant) {
  const { app, handler } = await VARIANTS[variant]()
  if (app) {
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app.server.address().port
  }
  const server = http.createServer(handler)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server.address().port
}

async function serve(name) {
  process.send({ port: await listen(CASES[name].variant) })
  // CPU time the server spent, on request: time-slicing by other processes on a shared machine
  // inflates wall-clock throughput far more than the CPU time each request takes.
  process.on('message', () => process.send({ cpuMicros: cpuMicros() }))
  process.on('disconnect', () => process.exit(0))
}

async function serveAlternating(group) {
  const variants = GROUPS[group]
  const handlers = []
  for (const v of variants) handlers.push((await VARIANTS[v]()).handler)
  const totals = variants.map(() => ({ cpu: 0, requests: 0 }))
  let current = 0
  let requests = 0
  let mark = cpuMicros()
  const server = http.createServer((req, res) => {
    requests++
    handlers[current](req, res)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  let switches = 0
  const switchMode = () => {
    const now = cpuMicros()
    totals[current].cpu += now - mark
    totals[current].requests += requests
    mark = now
    requests = 0
    // Visit the modes in a changing order so that none always follows the same one.
    switches++
    current = (current + 1 + (switches % variants.length === 0 ? 1 : 0)) % variants.length
  }
  const timer = setInterval(switchMode, 100)
  process.send({ port: server.address().port })
  process.on('message', (msg) => {
    if (msg === 'reset') {
      for (const t of totals) t.cpu = t.requests = 0
      mark = cpuMicros()
      requests = 0
      process.send({ reset: true })
      return
    }
    clearInterval(timer)
    switchMode()
    process.send({ totals: variants.map((v, i) => ({ variant: v, ...totals[i] })) })
  })
  process.on('disconnect', () => process.exit(0))
}

// ---------------------------------------------------------------- load generator (this process)

async function spawn(args, execArgv = []) {
  const child = fork(new URL(import.meta.url), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--no-warnings', ...execArgv], // the rssSource "no container limit" notice, once per child
  })
  const [{ port }] = await once(child, 'message')
  return { child, url: `http://127.0.0.1:${port}/` }
}

async function ask(child, msg) {
  child.send(msg)
  const [answer] = await once(child, 'message')
  return answer
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const pad = (s, n) => String(s).padEnd(n)
const padL = (s, n) => String(s).padStart(n)
const pct = (x) => `${(x * 100).toFixed(1)} %`

/**
 * Each case runs right next to its baseline (cases of one baseline form a group), and the
 * order rotates every round, inside the groups and between them, so no case is always first.
 */
function roundOrder(names, round) {
  const groups = [...new Set(names.map((n) => CASES[n].baseline))].map((base) =>
    names.filter((n) => CASES[n].baseline === base),
  )
  const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length])
  return rotate(groups, round).flatMap((group) => rotate(group, round))
}

async function main() {
  const { default: autocannon } = await import('autocannon')
  const seconds = Number(process.env.BENCH_SECONDS ?? 1.5)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
  const alternateSeconds = Number(process.env.BENCH_ALTERNATE_SECONDS ?? 8)
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32)
  const names = Object.keys(CASES)
  const run = (url, duration) => autocannon({ url, connections, duration, pipelining: 1 })
  const loadavg = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')

  console.log(
    `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load avg ${loadavg()}`,
  )
  console.log(
    `\n1. separate processes: ${names.length} cases × ${rounds} rounds × ${seconds} s, ${connections} connections, interleaved`,
  )

  const children = {}
  for (const name of names) children[name] = await spawn(['--serve', name])
  const results = Object.fromEntries(names.map((n) => [n, []]))
  try {
    for (const name of names) await run(children[name].url, 1) // warm-up: JIT, sockets
    for (let round = 0; round < rounds; round++) {
      for (const name of roundOrder(names, round)) {
        const { child, url } = children[name]
        const before = (await ask(child, 'cpu')).cpuMicros
        const r = await run(url, seconds)
        const cpu = (await ask(child, 'cpu')).cpuMicros - before
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`)
        results[name].push({ rps: r.requests.average, p99: r.latency.p99, cpuPerRequest: cpu / r.requests.total })
      }
    }
  } finally {
    for (const { child } of Object.values(children)) child.kill()
  }

  // Compared with the baseline of the same round (measured seconds apart), which cancels most of
  // the slow drift in background load; the median over rounds then drops the outliers.
  const ratios = (n, key) => results[n].map((r, i) => r[key] / results[CASES[n].baseline][i][key])
  console.log(
    `${pad('case', 36)}${padL('req/s', 8)}${padL('p99 ms', 8)}${padL('req/s vs base', 15)}${padL('range over rounds', 22)}` +
      `${padL('CPU µs/req', 12)}${padL('vs base', 10)}`,
  )
  for (const n of names) {
    const isBase = CASES[n].baseline === n
    const rs = ratios(n, 'rps')
    console.log(
      pad(n, 36) +
        padL(Math.round(median(results[n].map((r) => r.rps))), 8) +
        padL(median(results[n].map((r) => r.p99)), 8) +
        padL(isBase ? 'baseline' : pct(median(rs)), 15) +
        padL(isBase ? '' : `${pct(Math.min(...rs))} – ${pct(Math.max(...rs))}`, 22) +
        padL(median(results[n].map((r) => r.cpuPerRequest)).toFixed(1), 12) +
        padL(isBase ? 'baseline' : pct(median(ratios(n, 'cpuPerRequest'))), 10),
    )
  }
  console.log('("second instance" is an identical bare server: its distance from 100 % is the noise floor of this run)')

  console.log(
    `\n2. one process, alternating every 100 ms, ${alternateSeconds} s per group (CPU per request of each mode)`,
  )
  const alternating = {}
  for (const group of Object.keys(GROUPS)) {
    const { child, url } = await spawn(['--alternate', group])
    try {
      await run(url, 1) // warm-up
      await ask(child, 'reset')
      const r = await run(url, alternateSeconds)
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${group}: ${r.non2xx} non-2xx, ${r.errors} errors`)
      const { totals } = await ask(child, 'done')
      const base = totals[0].cpu / totals[0].requests
      for (const t of totals) {
        const perRequest = t.cpu / t.requests
        alternating[t.variant] = perRequest / base
        const vs = t === totals[0] ? 'baseline' : `${pct(perRequest / base)} (+${(perRequest - base).toFixed(2)} µs)`
        console.log(`${pad(t.variant, 36)}${padL(t.requests, 9)} req ${padL(perRequest.toFixed(2), 8)} µs/req  ${vs}`)
      }
    } finally {
      child.kill()
    }
  }

  const perRequestNs = await middlewareCostNs()
  const bareNsPerRequest = 1e9 / median(results['node:http bare'].map((r) => r.rps))
  console.log(
    `\n3. stand-in objects: the middleware path at level normal (admit, slot, 'close' listener, release) costs ` +
      `${perRequestNs.toFixed(0)} ns per request over a bare next() (a bare node:http request: ${(bareNsPerRequest / 1000).toFixed(1)} µs wall here)`,
  )

  console.log('\noverhead at level normal (target ≤ 3 %):')
  for (const n of names.filter((n) => CASES[n].baseline !== n)) {
    const alt = n === CASES[n].variant ? alternating[n] : undefined
    console.log(
      `  ${pad(n, 36)}req/s ${padL(pct(1 - median(ratios(n, 'rps'))), 8)}, CPU/req separate ${padL(pct(median(ratios(n, 'cpuPerRequest')) - 1), 8)}` +
        (alt === undefined ? '' : `, CPU/req alternating ${padL(pct(alt - 1), 7)}`),
    )
  }
  console.log(`load avg after: ${loadavg()} (the machine may be shared: compare ratios, not absolutes)`)
}

/** ns per request added by `shed.middleware()` at level normal, on stand-in request/response objects. */
async function middlewareCostNs() {
  const { EventEmitter } = await import('node:events')
  const { createController } = await import('../dist/index.js')
  const pressure = createController({
    autoStart: false,
    sources: [{ name: 'flat', read: () => ({ used: 0, limit: 1 }) }],
  })
  const shed = pressure.shed.middleware({ priority: (req) => (req.url === '/health' ? 'critical' : 'normal') })
  const req = { url: '/' }
  let handled = 0
  const next = () => handled++
  const once = (useShed) => {
    const res = new EventEmitter()
    res.closed = false
    if (useShed) shed(req, res, next)
    else next()
    res.emit('close')
  }
  const time = (useShed, n) => {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) once(useShed)
    return Number(process.hrtime.bigint() - t0) / n
  }
  const n = 300_000
  time(true, n) // warm-up
  time(false, n)
  const deltas = []
  for (let i = 0; i < 7; i++) deltas.push(time(true, n) - time(false, n))
  if (pressure.shed.stats().inFlight !== 0 || handled === 0) throw new Error('middleware bench leaked a slot')
  pressure.close()
  return median(deltas)
}

/**
 * A CPU profile of the loaded server does not care how often it was descheduled. Prints the share
 * of the server's busy time spent in heapguard's own functions (self time: the framework and the
 * handler that run inside `next()` are not counted, nor node internals it calls, like `res.on`).
 */
async function profile() {
  const { default: autocannon } = await import('autocannon')
  const { mkdtempSync, readdirSync, readFileSync, rmSync } = await import('node:fs')
  const { join } = await import('node:path')
  const seconds = Number(process.env.BENCH_SECONDS ?? 5)
  const ourDist = new URL('../dist/', import.meta.url).href
  for (const name of ['node:http + heapguard middleware', 'fastify + heapguard plugin']) {
    const dir = mkdtempSync(join(os.tmpdir(), 'heapguard-prof-'))
    const { child, url } = await spawn(['--serve', name], ['--cpu-prof', `--cpu-prof-dir=${dir}`])
    await autocannon({ url, connections: 32, duration: 1 })
    const r = await autocannon({ url, connections: 32, duration: seconds })
    child.disconnect()
    await once(child, 'exit')
    const prof = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'))
    rmSync(dir, { recursive: true, force: true })
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]))
    const self = new Map()
    let busy = 0
    prof.samples.forEach((id, i) => {
      const { functionName, url: file } = nodes.get(id).callFrame
      if (functionName === '(idle)') return
      const dt = prof.timeDeltas[i] ?? 0
      busy += dt
      if (!file.startsWith(ourDist)) return
      const key = `${functionName || '(anonymous)'} dist/${file.slice(ourDist.length)}`
      self.set(key, (self.get(key) ?? 0) + dt)
    })
    const ours = [...self.values()].reduce((a, b) => a + b, 0)
    console.log(
      `${name}: ${r.requests.total} requests in ${seconds} s; heapguard self time ${((ours / busy) * 100).toFixed(2)} % of busy CPU`,
    )
    for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      console.log(`  ${((t / busy) * 100).toFixed(2).padStart(5)} %  ${key}`)
    }
  }
}

// Last, once every const above is initialised.
const mode = process.argv[2]
if (mode === '--serve') await serve(process.argv[3])
else if (mode === '--alternate') await serveAlternating(process.argv[3])
else if (mode === '--profile') await profile()
else await main()
