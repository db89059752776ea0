import type { Level } from '../pressure/levels.js'
import type { LevelChange } from '../pressure/types.js'
import { capacityFor } from './capacity.js'
import type { CachePolicy } from './policy.js'
import type { CachePriority, Managed } from './types.js'

interface Registered {
  readonly managed: Managed
  readonly priority: CachePriority
}

/** The references a cache would have frozen at when pressure began: entries, and bytes when budgeted. */
interface Frozen {
  entries: number
  bytes: number | null
}

/**
 * Observe mode for the caches: what each resize WOULD do at a change of the effective level,
 * as log sentences (`cache "users" would shrink from 10000 to 7500 entries`; a cache that holds less
 * than its new capacity `would stop growing at N entries, evicting nothing`). The caches stay at
 * full capacity, so the reference they would have frozen when pressure began is kept here.
 */
export class CachePreview {
  #frozen = new Map<string, Frozen>()

  describe(
    change: LevelChange,
    caches: ReadonlyMap<string, Registered>,
    policy: CachePolicy,
    regrowMs: number,
  ): string[] {
    if (change.from === 'normal') this.#frozen = new Map()
    const actions: string[] = []
    for (const [name, { managed, priority }] of caches) {
      const stats = managed.stats()
      const byteCapacity = stats.byteCapacity ?? null
      let frozen = this.#frozen.get(name)
      if (frozen === undefined) {
        frozen = {
          entries: Math.min(stats.capacity, stats.entries),
          bytes: byteCapacity === null ? null : Math.min(byteCapacity, stats.bytes),
        }
        this.#frozen.set(name, frozen)
      }
      const at = (level: Level, reference: number, full: number): number =>
        level === 'normal' ? full : capacityFor(policy[level][priority], reference)
      const from = at(change.from, frozen.entries, stats.capacity)
      const to = at(change.to, frozen.entries, stats.capacity)
      const bytes =
        byteCapacity === null || frozen.bytes === null
          ? ''
          : `bytes ${at(change.from, frozen.bytes, byteCapacity)} -> ${at(change.to, frozen.bytes, byteCapacity)}`
      const cache = `cache ${JSON.stringify(name)}`
      if (change.to === 'normal') {
        const over = regrowMs > 0 ? ` over ${regrowMs} ms` : ' at once'
        if (to > from) actions.push(`${cache} would grow back from ${from} to ${to} entries${over}${detail('', bytes)}`)
      } else if (to === 0 && from > 0)
        actions.push(`${cache} would be disabled (0 entries, was ${from})${detail('', bytes)}`)
      else if (to < from) {
        // What it would hold at the old level: a cache below its capacity loses nothing to a capacity above what it holds.
        const held = Math.min(stats.entries, from)
        const capacity = held === from ? '' : `, capacity ${from} -> ${to}`
        if (to < held) actions.push(`${cache} would shrink from ${held} to ${to} entries${detail(capacity, bytes)}`)
        else actions.push(`${cache} would stop growing at ${to} entries, evicting nothing${detail(capacity, bytes)}`)
      } else if (to > from) actions.push(`${cache} would grow from ${from} to ${to} entries${detail('', bytes)}`)
    }
    if (change.to === 'normal') this.#frozen = new Map()
    return actions
  }
}

/** The parenthesis after a sentence: the capacity change (`, capacity a -> b`) and the byte budget's, when any. */
function detail(capacity: string, bytes: string): string {
  const parts = [capacity.slice(2), bytes].filter((part) => part !== '')
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`
}
