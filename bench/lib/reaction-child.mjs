// One reaction-latency run (spawned by bench/reaction.bench.mjs under a small heap).
//
// Allocates retained memory at a fixed rate and records, for the same heap trajectory:
// - the true crossing: an independent probe reads the heap as heapSource() does (its own
//   instance) right after every allocation chunk (one per ~1 ms tick) and notes the first time
//   it is at or above the warning line;
// - when each observer noticed: heapguard with defaults (GC-triggered + fast zone), heapguard
//   with sampleOnGc: false (timer zones only), and a plain 1 s setInterval poller (what
//   @fastify/under-pressure does by default) started at a random phase.
// All use the same denominator (heapSource()'s limit) and the same line (0.70), so only the sampling
// differs. Prints one JSON line and exits; stops allocating well before the heap limit.
//   node --max-old-space-size=256 bench/lib/reaction-child.mjs [--rate MBps]

// HEAPGUARD_INDEX: the build to measure (default this checkout's), for a before/after in one session.
const { createController, heapSource } = await import(process.env.HEAPGUARD_INDEX ?? '../../dist/index.js')

const rateArg = process.argv.indexOf('--rate')
const bytesPerMs = ((rateArg === -1 ? 50 : Number(process.argv[rateArg + 1])) * 1e6) / 1000
const WARNING = 0.7
const PREFILL_TO = 0.5 // filled fast, below the fast zone (0.60), so that every run starts alike
const GIVE_UP_AT = 0.95
// The probe reads the heap as the build's own heap source does (what it compares with the line).
const probe = heapSource()
const limit = probe.read().limit
const ratioNow = () => probe.read().used / limit

const seen = { crossing: null, heapguard: null, heapguardTimerOnly: null, poller: null }
const note = (key) => {
  if (seen[key] === null) seen[key] = performance.now()
}

const sources = () => [heapSource()] // the heap is what crosses; rss against total RAM never would
const heapguard = createController({ sources: sources() })
const timerOnly = createController({ sources: sources(), sampleOnGc: false })
heapguard.on('level', (c) => c.to !== 'normal' && note('heapguard'))
timerOnly.on('level', (c) => c.to !== 'normal' && note('heapguardTimerOnly'))
let poller
const pollerStart = setTimeout(() => {
  poller = setInterval(() => {
    if (ratioNow() >= WARNING) note('poller')
  }, 1000)
}, Math.random() * 1000)

// A chunk is small arrays of doubles (8 KiB each), all retained: V8 heap, not external memory.
const retained = []
const allocate = (bytes) => {
  for (let n = Math.ceil(bytes / 8192); n > 0; n--) retained.push(new Array(1024).fill(1.5))
}

let last = performance.now()
let prefilled = false
function tick() {
  const now = performance.now()
  const ratio = ratioNow()
  if (!prefilled) {
    if (ratio < PREFILL_TO) allocate(2 * 1024 * 1024)
    else prefilled = true
    last = now
  } else {
    allocate(bytesPerMs * (now - last))
    last = now
    if (ratioNow() >= WARNING) note('crossing') // the probe, right after the chunk
  }
  const done =
    seen.crossing !== null && seen.heapguard !== null && seen.heapguardTimerOnly !== null && seen.poller !== null
  if (done || ratio >= GIVE_UP_AT) return finish()
  setTimeout(tick, 1)
}

function finish() {
  const after = (key) => (seen[key] === null || seen.crossing === null ? null : seen[key] - seen.crossing)
  process.stdout.write(
    `${JSON.stringify({
      heapguard: after('heapguard'),
      heapguardTimerOnly: after('heapguardTimerOnly'),
      poller: after('poller'),
      gaveUp: seen.crossing === null || Object.values(seen).includes(null),
      maxRatio: ratioNow(),
    })}\n`,
  )
  clearTimeout(pollerStart)
  clearInterval(poller)
  heapguard.close()
  timerOnly.close()
  retained.length = 0
}

tick()
