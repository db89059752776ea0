// One warm-up run (spawned by bench/warmup.bench.mjs under a 128 MiB heap): a service that loads a
// 56 MiB dataset, a token cache of at most 1,000 entries filled by its traffic, and a rollup task
// every second that pauses at `warning`. After the dataset a warm-up spike holds 36 MiB for 2 s (a
// large import) and drops it; steady traffic runs from the start for `--seconds`: requests that
// allocate garbage and look up tokens. Prints one JSON line: time spent above `normal`, the cache at the end, rollups run.
//   node --max-old-space-size=128 bench/lib/warmup-child.mjs [--seconds 60]
const { createController } = await import(process.env.HEAPGUARD_INDEX ?? '../../dist/index.js')

const secondsAt = process.argv.indexOf('--seconds')
const seconds = secondsAt === -1 ? 60 : Number(process.argv[secondsAt + 1])
const pressure = createController({ logger: { warn() {}, error() {} } })
const changes = []
pressure.on('level', (c) => changes.push({ at: performance.now(), to: c.to, reason: c.reason }))

const tokens = pressure.caches.lru('tokens', { max: 1000 })
let rollups = 0
pressure.tasks.every('rollup', 1000, () => rollups++, { pauseAt: 'warning' })

/** Allocates `mib` MiB into `into`, 1 MiB every 20 ms (a load, not one synchronous burst); resolves when done. */
const load = (into, mib) =>
  new Promise((resolve) => {
    const step = () => {
      if (into.length >= mib) return resolve()
      into.push(new Array(128 * 1024).fill(into.length + 0.5))
      setTimeout(step, 20)
    }
    step()
  })
// The dataset (56 MiB, kept), then the warm-up spike: 36 MiB held for 2 s, then dropped.
const dataset = []
let spike = []
void load(dataset, 56)
  .then(() => load(spike, 36))
  .then(() => setTimeout(() => (spike = null), 2000))

// Steady traffic from the start: every 2 ms a request that builds ~40 KB of short-lived objects
// and looks up one of 5,000 users' tokens (a miss stores a ~300-byte token).
let seq = 0
const traffic = setInterval(() => {
  const rows = Array.from({ length: 200 }, (_, i) => ({ id: seq + i, name: `row ${seq + i}`, score: i * 1.5 }))
  const user = `user-${seq++ % 5000}`
  if (tokens.get(user) === undefined) tokens.set(user, `token:${user}:${'x'.repeat(280)}`)
  return rows.length
}, 2)

const started = performance.now()
setTimeout(() => {
  clearInterval(traffic)
  const end = performance.now()
  let above = 0
  let since = null
  for (const c of changes) {
    if (c.to !== 'normal' && since === null) since = c.at
    if (c.to === 'normal' && since !== null) {
      above += c.at - since
      since = null
    }
  }
  if (since !== null) above += end - since
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      aboveNormalS: Math.round(above / 100) / 10,
      levelAtEnd: pressure.level,
      tokens: tokens.size,
      capacity: tokens.capacity,
      rollups,
      changes: changes.map((c) => `${((c.at - started) / 1000).toFixed(1)}s ${c.to}${c.reason ? `: ${c.reason}` : ''}`),
      spikeDropped: spike === null,
      datasetMiB: dataset.length,
    })}\n`,
  )
  pressure.close()
}, seconds * 1000)
