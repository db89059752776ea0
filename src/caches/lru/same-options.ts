import { describe } from '../../util/validate.js'

/**
 * The first option of `caches.lru()` whose value differs between two calls for one name, or
 * undefined when they are equal, so that the second call returns the first call's cache.
 *
 * Equal means what two bundles of one application (or a module before and after a hot reload)
 * would write: each builds its own options object and its own copy of every function, so
 * functions are compared by their source text, plain objects (`perf`) key by key, and anything
 * else with `Object.is`. An option left out equals its default (`priority: 'normal'`).
 */
export function differentOption(
  before: Readonly<Record<string, unknown>>,
  now: Readonly<Record<string, unknown>>,
): { name: string; before: string; now: string } | undefined {
  const a = withDefaults(before)
  const b = withDefaults(now)
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!same(a[name], b[name], 0)) return { name, before: shown(a[name]), now: shown(b[name]) }
  }
  return undefined
}

const DEFAULTS: Readonly<Record<string, unknown>> = { priority: 'normal' }

function withDefaults(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const all: Record<string, unknown> = { ...DEFAULTS }
  for (const [name, value] of Object.entries(options)) if (value !== undefined) all[name] = value
  return all
}

function same(a: unknown, b: unknown, depth: number): boolean {
  if (Object.is(a, b)) return true
  if (typeof a === 'function' && typeof b === 'function') return String(a) === String(b)
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > 2) return false
  if (Array.isArray(a) || Array.isArray(b)) return false
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].every((key) =>
    same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], depth + 1),
  )
}

function shown(value: unknown): string {
  if (typeof value !== 'function') return describe(value)
  const source = String(value).replace(/\s+/g, ' ')
  return source.length > 60 ? `${source.slice(0, 60)}…` : source
}
