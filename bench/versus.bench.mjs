// The hot paths of this build against another build of heapguard, in one process, rounds
// interleaved so that a busy machine slows both alike: managed cache get (hit, miss) and set,
// the shedding middleware's admission of one request (in-process, no socket), shed.admit().
// Without --baseline it compares the build with itself (the ratios then show the noise).
//   npm run build
//   git worktree add /tmp/base <ref> && (cd /tmp/base && npm ci && npx tsup)
//   node bench/versus.bench.mjs --baseline /tmp/base/dist [--rounds N] [--ms PER_ROUND]
import { EventEmitter } from 'node:events'
import { resolve } from 'node:path'
import { median, nsPerCall } from './lib/timing.mjs'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : process.argv[i + 1]
}
const rounds = Number(arg('--rounds', 9))
const msPerRound = Number(arg('--ms', 150))
const baselineDir = resolve(arg('--baseline', new URL('../dist', import.meta.url).pathname))

const current = await import(new URL('../dist/index.js', import.meta.url).href)
const baseline = await import(resolve(baselineDir, 'index.js'))

/** The cases for one build of heapguard. */
function casesFor(lib) {
  const source = { name: 'fake', read: () => ({ used: 1, limit: 100 }) }
  const pressure = lib.createController({ autoStart: false, sources: [source], logger: {} })
  const cache = pressure.caches.lru('bench', { max: 10_000 })
  for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i)
  const shed = pressure.shed.middleware()
  // A response as far as the middleware looks at it: `closed`, and a 'close' event to listen to.
  const res = Object.assign(new EventEmitter(), { closed: false })
  const req = {}
  let sink = 0
  let i = 0
  const next = () => {
    sink++
  }
  return {
    'cache.get (hit)': () => {
      sink += cache.get(`k${i++ % 10_000}`) ?? 0
    },
    'cache.get (miss)': () => {
      sink += cache.get('absent') ?? 0
    },
    'cache.set (existing key)': () => {
      cache.set(`k${i++ % 10_000}`, i)
    },
    'shed.middleware admission': () => {
      shed(req, res, next)
      // The response ends: its slot goes back, and the listener with it.
      res.emit('close')
      res.removeAllListeners('close')
    },
    'shed.admit()': () => {
      sink += pressure.shed.admit('normal') ? 1 : 0
    },
    sink: () => sink,
  }
}

const a = casesFor(baseline)
const b = casesFor(current)
const names = Object.keys(a).filter((n) => n !== 'sink')
const times = Object.fromEntries(names.map((n) => [n, { base: [], cur: [] }]))
for (let r = 0; r < rounds; r++) {
  for (const n of names) {
    times[n].base.push(nsPerCall(a[n], msPerRound))
    times[n].cur.push(nsPerCall(b[n], msPerRound))
  }
}
console.log(`baseline: ${baselineDir}`)
console.log(
  `${'case'.padEnd(28)} ${'baseline ns'.padStart(12)} ${'this ns'.padStart(10)} ${'this/baseline'.padStart(14)}`,
)
for (const n of names) {
  const base = median(times[n].base)
  const cur = median(times[n].cur)
  console.log(
    `${n.padEnd(28)} ${base.toFixed(1).padStart(12)} ${cur.toFixed(1).padStart(10)} ${(cur / base).toFixed(3).padStart(14)}`,
  )
}
if (a.sink() + b.sink() === -1) console.log('')
