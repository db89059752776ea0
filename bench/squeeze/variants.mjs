// The three servers under test. Each differs only in how its cache is bounded and what guards
// the process; the route, the value and the cache's configured `max` are the same.
import { LRUCache } from 'lru-cache'

export const MiB = 1024 * 1024

/**
 * The heapguard build the servers load: this checkout's `dist/`, or the folder in HEAPGUARD_DIST
 * (another build, say main's, for a before/after in one session).
 */
const DIST = process.env.HEAPGUARD_DIST
  ? new URL(`file://${process.env.HEAPGUARD_DIST.replace(/\/?$/, '/')}`)
  : new URL('../../dist/', import.meta.url)

/** The heap the servers are started with (`--max-old-space-size`, MiB). */
export const HEAP_MIB = 128

/** Entries the cache may hold: 100,000 × 10 KB ≈ 1 GB, eight times the heap — sized by guess, as teams do. */
export const CACHE_MAX = 100_000

/** The high tide's exports reserve this many times their payload. */
export const RESERVE_FACTOR = 1.2

/** under-pressure refuses requests above this heap used: 90 % of the heap limit. */
export const UNDER_PRESSURE_HEAP_BYTES = Math.round(0.9 * HEAP_MIB * MiB)

/**
 * Each variant installs its guards on the fastify app and returns:
 * - `cache`: `{ get(key), set(key, value), size }` used by the handler;
 * - `probe()`: extra fields for each heap sample (level, ratio, cache capacity…);
 * - `onChange(send)`: reports each change of the guard's state as it happens;
 * - `report()`: the guard's own account at the end of the run.
 */
export const VARIANTS = {
  'lru-cache': {
    title: '1. lru-cache { max: 100,000 }',
    async setup() {
      const cache = new LRUCache({ max: CACHE_MAX })
      return {
        cache,
        probe: () => ({ entries: cache.size }),
        onChange: () => {},
        report: () => ({}),
      }
    },
  },

  'under-pressure': {
    title: '2. lru-cache + @fastify/under-pressure (maxHeapUsedBytes 0.9 × 128 MiB)',
    async setup(app) {
      const { default: underPressure } = await import('@fastify/under-pressure')
      // Defaults otherwise: sampleInterval 1000 ms, Retry-After 10 s, every route guarded.
      await app.register(underPressure, { maxHeapUsedBytes: UNDER_PRESSURE_HEAP_BYTES })
      const cache = new LRUCache({ max: CACHE_MAX })
      return {
        cache,
        probe: () => ({ entries: cache.size, underPressure: app.isUnderPressure() }),
        onChange: () => {},
        report: () => ({}),
      }
    },
  },

  heapguard: {
    title: '3. heapguard: managed cache { max: 100,000 } + heapguardFastify',
    // Defaults everywhere: heap + RSS sources, thresholds 0.70/0.85/0.95, hysteresis 0.05,
    // recoveryMs 5000, intervalMs 1000 (25 ms near warning), sampling after each GC, regrowMs 30 s.
    setup: (app) => heapguardSetup(app),
  },
}

/**
 * The heapguard server: the managed cache and the Fastify plugin. `index` is the library entry
 * (default the BUILT library, as a user gets it: `npx tsup` first); `options` go to createController.
 */
export async function heapguardSetup(app, { index = new URL('index.js', DIST).href, options = {} } = {}) {
  const { createController } = await import(new URL(index, import.meta.url).href)
  const { heapguardFastify } = await import(new URL('fastify.js', DIST).href)
  const pressure = createController(options)
  const cache = pressure.caches.lru('values', { max: CACHE_MAX, priority: 'normal' })
  await app.register(heapguardFastify, { pressure })
  app.addHook('onClose', async () => pressure.close())
  return {
    cache,
    probe: () => ({ entries: cache.size, capacity: cache.capacity, level: pressure.level, ratio: pressure.ratio }),
    onChange: (send) => {
      pressure.on('level', (change) =>
        send({ type: 'level', at: Date.now(), from: change.from, to: change.to, ratio: change.ratio }),
      )
    },
    report: () => ({
      transitionCounts: pressure.transitionCounts(),
      transitions: pressure.transitions(),
      caches: pressure.caches.stats(),
      shed: typeof pressure.shed.stats === 'function' ? pressure.shed.stats() : undefined,
    }),
  }
}

/**
 * heapguard for the high tide (tide.mjs): the squeeze's heapguard server, with exports at
 * priority `low`, and with `reconcile` set, exports that reserve 1.2 × their payload through the
 * route's `config.heapguard.bytes`. Without it, heapguard as it is: exports are refused only by
 * the admission table (low is refused from `critical` up).
 */
function tideVariant(title, reconcile, exportPriority = 'low') {
  return {
    title,
    async setup(app) {
      const { createController } = await import(new URL('index.js', DIST).href)
      const { heapguardFastify } = await import(new URL('fastify.js', DIST).href)
      const pressure = createController(reconcile === undefined ? {} : { reservations: { reconcile } })
      const max = Number(process.env.TIDE_CACHE_MAX) || CACHE_MAX
      const cache = pressure.caches.lru('values', { max, priority: 'normal' })
      const errors = []
      pressure.on('error', (error) => errors.push(error.message))
      await app.register(heapguardFastify, {
        pressure,
        priority: (request) => (request.url.startsWith('/export') ? exportPriority : 'normal'),
      })
      app.addHook('onClose', async () => pressure.close())
      const bytes = (request) => Math.round(RESERVE_FACTOR * Number(request.query.mib) * MiB)
      return {
        cache,
        exportRoute: reconcile === undefined ? {} : { config: { heapguard: { bytes } } },
        probe: () => ({
          entries: cache.size,
          capacity: cache.capacity,
          level: pressure.level,
          ratio: pressure.ratio,
          reserved: pressure.reserved,
        }),
        onChange: (send) => {
          pressure.on('level', (change) =>
            send({
              type: 'level',
              at: Date.now(),
              from: change.from,
              to: change.to,
              ratio: change.ratio,
              reason: change.reason,
              floors: pressure.floors().map((f) => `${f.from}:${f.level}:${f.reason}`),
            }),
          )
        },
        report: () => ({
          transitionCounts: pressure.transitionCounts(),
          caches: pressure.caches.stats(),
          shed: pressure.shed.stats(),
          reservations: pressure.reservations.stats(),
          errors: errors.slice(0, 20),
        }),
      }
    },
  }
}

/** The high tide's servers (not part of the squeeze). */
export const TIDE_VARIANTS = {
  'tide:none': tideVariant('heapguard, no reservations', undefined),
  // As a user would first try it (issue 19): every request, exports too, at the default priority.
  'tide:plain': tideVariant('heapguard, no reservations, exports at priority normal', undefined, 'normal'),
  'tide:growth': tideVariant('heapguard + reservations (reconcile: growth)', 'growth'),
  'tide:floor': tideVariant('heapguard + reservations (reconcile: floor)', 'floor'),
  'tide:hold': tideVariant('heapguard + reservations (reconcile: hold)', 'hold'),
}
