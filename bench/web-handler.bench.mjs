// What withPressure() costs a Web handler (Request → Response) called in-process, against the bare
// handler in the same run. The handler is a cached item route: read the id from the URL, look it
// up in a Map, answer Response.json(item). Cases:
//
// - called: the handler's Response is awaited, its body never read (what a unit test does);
// - served: the body is read to its end too, as every framework does before the request is over.
//
// withPressure runs with a controller that has no concurrency limit (the default: the slot is
// given back when the Response is produced), and with one that limits concurrency at some level
// (the slot then follows the request: an abort listener on request.signal, and a check of the
// body, which a streamed one holds the slot until it ends). A streamed body is measured too.
//   npx tsup && node bench/run.mjs web-handler
//   node bench/web-handler.bench.mjs [--rounds N] [--ms PER_ROUND]
import { createController } from '../dist/index.js'
import { withPressure } from '../dist/web.js'
import { median, nsPerAsyncCall } from './lib/timing.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const rounds = arg('--rounds', 9)
const msPerRound = arg('--ms', 300)

const flat = () => [{ name: 'flat', read: () => ({ used: 0, limit: 1 }) }]
const unlimited = createController({ autoStart: false, sources: flat() })
const limited = createController({ autoStart: false, sources: flat(), shed: { concurrency: { critical: 64 } } })

const items = new Map(Array.from({ length: 100 }, (_, i) => [String(i), { id: i, name: `item ${i}`, price: i + 0.99 }]))
const requests = Array.from({ length: 100 }, (_, i) => new Request(`http://localhost/api/items/${i}`))
const itemRoute = async (request) => {
  const url = request.url
  return Response.json(items.get(url.slice(url.lastIndexOf('/') + 1)) ?? null)
}
const encoder = new TextEncoder()
const streamRoute = async () =>
  new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('a,b,c\n'))
        controller.close()
      },
    }),
  )

// The fixed cost alone: a handler that returns a Response made in advance costs next to nothing.
const ready = new Response(null, { status: 204 })
const readyRoute = async () => ready

const handlers = {
  'ready Response, bare (baseline)': readyRoute,
  'ready Response, withPressure': withPressure(readyRoute, { pressure: unlimited }),
  'ready Response, withPressure, limits': withPressure(readyRoute, { pressure: limited }),
  'item route, bare (baseline)': itemRoute,
  'item route, withPressure': withPressure(itemRoute, { pressure: unlimited }),
  'item route, withPressure, limits': withPressure(itemRoute, { pressure: limited }),
  'stream route, bare (baseline)': streamRoute,
  'stream route, withPressure, limits': withPressure(streamRoute, { pressure: limited }),
}
const baselineOf = (name) => `${name.slice(0, name.indexOf(','))}, bare (baseline)`

let n = 0
const called = (handler) => async () => {
  await handler(requests[n++ % 100])
}
const served = (handler) => async () => {
  await (await handler(requests[n++ % 100])).arrayBuffer()
}
const cases = {}
for (const [name, handler] of Object.entries(handlers)) {
  if (!name.startsWith('stream')) cases[`called: ${name}`] = called(handler)
  if (!name.startsWith('ready')) cases[`served: ${name}`] = served(handler)
}

const results = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
for (const fn of Object.values(cases)) await nsPerAsyncCall(fn, msPerRound) // warm-up
// Interleaved rounds, so drift on a shared machine hits every case alike.
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(cases)) results[name].push(await nsPerAsyncCall(fn, msPerRound))
}
for (const pressure of [unlimited, limited]) {
  if (pressure.shed.stats().inFlight !== 0) throw new Error('a slot was never given back')
  pressure.close()
}

console.log(`node ${process.version}, ${rounds} rounds × ${msPerRound} ms per case, median ns per call (min–max)`)
console.log(
  'case'.padEnd(46),
  'ns/call'.padStart(9),
  'range'.padStart(17),
  'Δ ns'.padStart(8),
  'Δ %'.padStart(8),
  '  (Δ: against the bare case of the same round, median over rounds)',
)
for (const [name, xs] of Object.entries(results)) {
  const [mode, handler] = name.split(': ')
  const base = `${mode}: ${baselineOf(handler)}`
  const range = `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
  const isBase = base === name
  const delta = isBase ? '' : median(xs.map((x, i) => x - results[base][i])).toFixed(0)
  const ratio = isBase ? 'baseline' : `${((median(xs.map((x, i) => x / results[base][i])) - 1) * 100).toFixed(1)} %`
  console.log(
    name.padEnd(46),
    median(xs).toFixed(0).padStart(9),
    range.padStart(17),
    delta.padStart(8),
    ratio.padStart(8),
  )
}
// The fixed cost measured on the ready Response, set against what the item route costs bare.
const fixed = (variant) =>
  median(
    results[`called: ready Response, ${variant}`].map(
      (x, i) => x - results['called: ready Response, bare (baseline)'][i],
    ),
  )
const item = median(results['served: item route, bare (baseline)'])
for (const variant of ['withPressure', 'withPressure, limits']) {
  console.log(
    `${variant}: adds ${fixed(variant).toFixed(0)} ns per call, ${((fixed(variant) / item) * 100).toFixed(2)} % of the item route served bare (${item.toFixed(0)} ns)`,
  )
}
