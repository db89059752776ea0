import type { LRUCache, Perf } from 'lru-cache'
import {
  checkBoolean,
  checkFunction,
  checkNumber,
  checkOneOf,
  checkOptions,
  describe,
  optionKeys,
} from '../../util/validate.js'
import { estimateSizeWithin } from '../estimate-size.js'
import { CACHE_PRIORITIES, type CachePriority } from '../types.js'

/**
 * Options of `pressure.caches.lru(name, options)`. `max`, `maxSize`, `sizeCalculation`, `ttl`
 * and the passthrough options mean what they mean in lru-cache v11; the managed cache enforces
 * its current capacity (a share of `max` and `maxSize`) on top.
 */
export interface ManagedLruOptions<K extends {}, V extends {}> {
  /** Entries at full capacity (at `normal`). Required: a whole number ≥ 1. */
  max: number
  /**
   * Optional byte budget at full capacity. Without `sizeCalculation`, sizes come from
   * `estimateSize(value, { maxNodes: 64 }) + estimateSize(key, { maxNodes: 64 })`, an estimate
   * made on every `set`: about 1–3 µs for a large value (64 values walked, the rest
   * extrapolated), a few hundred ns for a small one. Pass `sizeCalculation` when you know better.
   */
  maxSize?: number
  /** Bytes of an entry, a whole number ≥ 1. Without `maxSize`, sizes are tracked for `stats().bytes` but not budgeted. */
  sizeCalculation?: (value: V, key: K) => number
  /** Time to live in ms (0 or absent: none), as in lru-cache. */
  ttl?: number
  /** Which column of the cache policy applies. Default `'normal'`. */
  priority?: CachePriority
  /** Called for every entry removed (reasons as in lru-cache). A throw is reported on `'error'`, never raised. */
  dispose?: LRUCache.Disposer<K, V>
  /** As `dispose`, but called after the removal is complete. */
  disposeAfter?: LRUCache.Disposer<K, V>
  updateAgeOnGet?: boolean
  updateAgeOnHas?: boolean
  allowStale?: boolean
  noDeleteOnStaleGet?: boolean
  ttlAutopurge?: boolean
  ttlResolution?: number
  noDisposeOnSet?: boolean
  noUpdateTTL?: boolean
  /** Largest single entry in bytes (defaults to `maxSize`, as in lru-cache). */
  maxEntrySize?: number
  /** The clock for TTLs (`{ now(): number }`), as in lru-cache; tests inject one. */
  perf?: Perf
}

/** The option names `caches.lru()` accepts. */
const LRU_OPTION_KEYS = optionKeys<ManagedLruOptions<{}, {}>>({
  max: true,
  maxSize: true,
  sizeCalculation: true,
  ttl: true,
  priority: true,
  dispose: true,
  disposeAfter: true,
  updateAgeOnGet: true,
  updateAgeOnHas: true,
  allowStale: true,
  noDeleteOnStaleGet: true,
  ttlAutopurge: true,
  ttlResolution: true,
  noDisposeOnSet: true,
  noUpdateTTL: true,
  maxEntrySize: true,
  perf: true,
})

const BOOLEAN_KEYS = [
  'updateAgeOnGet',
  'updateAgeOnHas',
  'allowStale',
  'noDeleteOnStaleGet',
  'ttlAutopurge',
  'noDisposeOnSet',
  'noUpdateTTL',
] as const

export interface ResolvedLruOptions<K extends {}, V extends {}> {
  priority: CachePriority
  max: number
  /** The byte budget at full capacity, or undefined when there is none. */
  maxSize: number | undefined
  /** True when lru-cache tracks entry sizes (so `calculatedSize` is their sum). */
  sizeTracked: boolean
  /** True unless the sizes come from the user's `sizeCalculation` (the default estimator or a sample estimate them). */
  bytesEstimated: boolean
  dispose: LRUCache.Disposer<K, V> | undefined
  disposeAfter: LRUCache.Disposer<K, V> | undefined
  /** What goes to `new LRUCache()`, without the disposers (the managed cache wraps them). */
  lru: LRUCache.Options<K, V, unknown>
}

const POSITIVE_INTEGER = { min: 1, integer: true }

/** Checks `caches.lru()` options; every message names the cache, the option and the value. */
export function resolveLruOptions<K extends {}, V extends {}>(where: string, input: unknown): ResolvedLruOptions<K, V> {
  if (input === undefined) throw new TypeError(`${where}: options are required (at least \`max\`)`)
  const options = checkOptions<ManagedLruOptions<K, V>>(where, 'options', input, LRU_OPTION_KEYS)
  const max = checkNumber(where, 'option `max`', options.max, POSITIVE_INTEGER)
  const maxSize =
    options.maxSize === undefined
      ? undefined
      : checkNumber(where, 'option `maxSize`', options.maxSize, POSITIVE_INTEGER)
  const priority =
    options.priority === undefined
      ? 'normal'
      : checkOneOf(where, 'option `priority`', options.priority, CACHE_PRIORITIES)
  const lru: LRUCache.Options<K, V, unknown> = { max }
  for (const key of BOOLEAN_KEYS) {
    const value = options[key]
    if (value !== undefined) lru[key] = checkBoolean(where, `option \`${key}\``, value)
  }
  if (options.ttl !== undefined) {
    const ttl = checkNumber(where, 'option `ttl`', options.ttl, { min: 0, integer: true })
    if (ttl > 0) lru.ttl = ttl
  }
  if (options.ttlResolution !== undefined) {
    lru.ttlResolution = checkNumber(where, 'option `ttlResolution`', options.ttlResolution, { min: 0, integer: true })
  }
  if (options.perf !== undefined) {
    const perf = options.perf as unknown
    if (perf === null || typeof perf !== 'object' || typeof (perf as { now?: unknown }).now !== 'function') {
      throw new TypeError(`${where}: option \`perf\` must be an object with a now() method, got ${describe(perf)}`)
    }
    lru.perf = options.perf
  }
  const dispose =
    options.dispose === undefined
      ? undefined
      : checkFunction<LRUCache.Disposer<K, V>>(where, 'option `dispose`', options.dispose)
  const disposeAfter =
    options.disposeAfter === undefined
      ? undefined
      : checkFunction<LRUCache.Disposer<K, V>>(where, 'option `disposeAfter`', options.disposeAfter)
  const sizeCalculation =
    options.sizeCalculation === undefined
      ? undefined
      : checkedSizes(
          where,
          checkFunction<(value: V, key: K) => number>(where, 'option `sizeCalculation`', options.sizeCalculation),
        )
  if (options.maxEntrySize !== undefined) {
    lru.maxEntrySize = checkNumber(where, 'option `maxEntrySize`', options.maxEntrySize, POSITIVE_INTEGER)
  }
  if (maxSize !== undefined) lru.maxSize = maxSize
  if (lru.maxSize !== undefined || lru.maxEntrySize !== undefined) {
    lru.sizeCalculation = sizeCalculation ?? estimateEntrySize
  } else if (sizeCalculation !== undefined) {
    // lru-cache tracks sizes only with a limit: an entry limit no entry reaches turns tracking on without a budget.
    lru.sizeCalculation = sizeCalculation
    lru.maxEntrySize = Number.MAX_SAFE_INTEGER
  }
  const sizeTracked = lru.sizeCalculation !== undefined
  const bytesEstimated = sizeCalculation === undefined
  return { priority, max, maxSize, sizeTracked, bytesEstimated, dispose, disposeAfter, lru }
}

/**
 * The user's `sizeCalculation`, with its result checked at every `set`: lru-cache would throw a
 * bare TypeError ("sizeCalculation return invalid") that names neither the cache nor the value.
 */
function checkedSizes<K, V>(where: string, sizeOf: (value: V, key: K) => number): (value: V, key: K) => number {
  return (value, key) => {
    const size = sizeOf(value, key)
    if (Number.isInteger(size) && size >= 1) return size
    const message = `${where}: option \`sizeCalculation\` must return an integer >= 1, got ${describe(size)} for key ${describe(key)}`
    throw typeof size === 'number' ? new RangeError(message) : new TypeError(message)
  }
}

/**
 * Values the default `sizeCalculation` walks per `set` (value and key each). It runs on every
 * `set`, so it is kept small: at `estimateSize`'s default of 1,000 a set of a large value costs
 * 15–30 µs, at 64 about 1–3 µs (bench/cache-estimate); the rest of a large container is
 * extrapolated from the part seen.
 */
const SET_NODE_BUDGET = 64

/** The default `sizeCalculation` when `maxSize` is set: value and key, estimated within `SET_NODE_BUDGET` each. */
export function estimateEntrySize(value: unknown, key: unknown): number {
  return estimateSizeWithin(value, SET_NODE_BUDGET) + estimateSizeWithin(key, SET_NODE_BUDGET)
}
