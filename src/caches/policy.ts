import { LEVELS, type Level } from '../pressure/levels.js'
import { checkNumber, checkOptions } from '../util/validate.js'
import { CACHE_PRIORITIES, type CachePriority } from './types.js'

/** Size multipliers for every level and cache priority. */
export type CachePolicy = Readonly<Record<Level, Readonly<Record<CachePriority, number>>>>

/**
 * `createController({ cachePolicy })`: a partial table merged over `DEFAULT_CACHE_POLICY`,
 * e.g. `{ warning: { optional: 0.25 } }`. Multipliers are in 0..1; 0 disables the cache.
 */
export type CachePolicyOptions = { [L in Level]?: { [P in CachePriority]?: number } }

function frozen(rows: Record<Level, Record<CachePriority, number>>): CachePolicy {
  for (const level of LEVELS) Object.freeze(rows[level])
  return Object.freeze(rows)
}

/** The default multipliers (docs/caches.md#how-much-a-cache-keeps-the-policy). */
export const DEFAULT_CACHE_POLICY: CachePolicy = frozen({
  normal: { essential: 1, normal: 1, optional: 1 },
  warning: { essential: 1, normal: 0.75, optional: 0.5 },
  critical: { essential: 0.75, normal: 0.5, optional: 0 },
  emergency: { essential: 0.5, normal: 0.1, optional: 0 },
})

/**
 * Checks `cachePolicy` and merges it over the defaults. Unknown levels or priorities are a
 * TypeError, multipliers outside 0..1 a RangeError, each naming the path (`cachePolicy.warning.normal`).
 */
export function resolveCachePolicy(where: string, options: unknown): CachePolicy {
  const partial = checkOptions<CachePolicyOptions>(where, 'cachePolicy', options, LEVELS)
  const rows = {} as Record<Level, Record<CachePriority, number>>
  for (const level of LEVELS) {
    const row = checkOptions<Record<CachePriority, number>>(
      where,
      `cachePolicy.${level}`,
      partial[level],
      CACHE_PRIORITIES,
    )
    rows[level] = { ...DEFAULT_CACHE_POLICY[level] }
    for (const priority of CACHE_PRIORITIES) {
      const value = row[priority]
      if (value === undefined) continue
      rows[level][priority] = checkNumber(where, `option \`cachePolicy.${level}.${priority}\``, value, {
        min: 0,
        max: 1,
      })
    }
  }
  return frozen(rows)
}
