import { checkNumber, describe } from '../util/validate.js'
import type { RecencyClock } from './lru/store.js'
import { CACHE_PRIORITIES, type CachePriority } from './types.js'

/** A cache of the registry as its pool sees it (the caches from `caches.lru()`). */
export interface PoolMember {
  readonly priority: CachePriority
  /** Bytes held now: exact when sizes are tracked (always under a budget), else an estimate. */
  bytes(): number
  /** The recency tick of its least recently used entry (under a budget), Infinity when empty, NaN without ticks. */
  coldest(): number
  /** Evicts its least recently used entry; returns the bytes it held (0 when the cache is empty). */
  evictColdest(): number
  /**
   * Holds down room it gave back to a reservation: the cache may not grow back into `entries`
   * (and `bytes`) until `unhold` gives them back, so that the room stays free for the work.
   */
  hold(entries: number, bytes: number): void
  unhold(entries: number, bytes: number): void
}

/** Room the caches gave back to one reservation, held down until `release()` (idempotent). */
export interface CacheClaim {
  /** Bytes given back (estimated for caches that do not track sizes). */
  readonly freed: number
  release(): void
}

const NO_CLAIM: CacheClaim = Object.freeze({ freed: 0, release: () => {} })

/** `pressure.caches.budget`: the byte budget of all managed caches together. */
export interface CacheBudgetStats {
  /** The budget in bytes. */
  limit: number
  /** Bytes all budgeted caches hold now. */
  used: number
  /** Entries evicted to keep the caches together within the budget. */
  evictions: number
}

/** Cache priorities, least important first: the order in which caches give memory back. */
const GIVE_BACK_ORDER: readonly CachePriority[] = Object.freeze([...CACHE_PRIORITIES].reverse())

/**
 * The caches of one registry as a whole: the room they give back to reservations (`reclaim`), and
 * the byte budget they share when `createController({ caches: { budget } })` sets one.
 *
 * Under a budget every cache counts its entries' bytes and stamps each entry with a tick of one
 * clock shared by all caches on every `get` and `set` (a slotted store, see lru/store.ts), so the
 * entries of all caches form one recency order. When a `set` takes the total past the budget,
 * `enforce()` evicts the least recently used entries of the lowest-priority caches first
 * (optional, then normal, then essential), comparing the coldest entry of each cache of that
 * priority, until the total fits. A cache's own bounds (its level-scaled `max` and `maxSize`)
 * still apply: the smaller bound wins.
 */
export class CachePool implements RecencyClock {
  /** The byte budget; Infinity when none is set (the caches then stamp no ticks). */
  readonly limit: number
  /** The shared recency clock; caches under a budget increment it on every access. */
  tick = 0
  // Plain arrays, walked with indexes: `enforce` runs on every set of a full budget.
  readonly #members = new Map<CachePriority, PoolMember[]>(GIVE_BACK_ORDER.map((p) => [p, []]))
  #all: PoolMember[] = []
  #evictions = 0
  #enforcing = false
  #reentered = false

  constructor(limit: number) {
    this.limit = limit
  }

  /** True under a byte budget: caches count bytes, stamp ticks, and `enforce()` after each set. */
  get budgeted(): boolean {
    return this.limit !== Infinity
  }

  join(member: PoolMember): void {
    const members = this.#members.get(member.priority)!
    if (members.includes(member)) return
    members.push(member)
    this.#all = [...this.#all, member]
  }

  leave(member: PoolMember): void {
    const members = this.#members.get(member.priority)!
    const at = members.indexOf(member)
    if (at === -1) return
    members.splice(at, 1)
    this.#all = this.#all.filter((m) => m !== member)
  }

  /** Bytes all member caches hold now. */
  used(): number {
    const all = this.#all
    let total = 0
    for (let i = 0; i < all.length; i++) total += all[i]!.bytes()
    return total
  }

  stats(): CacheBudgetStats {
    return { limit: this.limit, used: this.used(), evictions: this.#evictions }
  }

  /** After a `set` under a budget: evicts globally, lowest priority and least recently used first, until the caches fit. */
  enforce(): void {
    if (this.#enforcing) {
      // A disposer set into a cache while this evicts: the outer pass reads the total again.
      this.#reentered = true
      return
    }
    let over = this.used() - this.limit
    if (over <= 0) return
    this.#enforcing = true
    try {
      while (over > 0) {
        this.#reentered = false
        const before = this.#evictions
        for (const priority of GIVE_BACK_ORDER) {
          over = this.#evictWithin(this.#members.get(priority)!, over)
          if (over <= 0) break
        }
        if (!this.#reentered || this.#evictions === before) break
        over = this.used() - this.limit
      }
    } finally {
      this.#enforcing = false
    }
  }

  /** Evicts from `members`, coldest first, until `over` bytes are gone or they are empty; returns what is still over. */
  #evictWithin(members: readonly PoolMember[], over: number): number {
    while (over > 0) {
      const victim = this.#coldestOf(members)
      if (victim === undefined) break
      const freed = victim.evictColdest()
      if (freed === 0) break
      over -= freed
      this.#evictions++
    }
    return over
  }

  /**
   * Room for a reservation: evicts at least `bytes` (when the caches hold that much), lowest
   * priority first. Within a priority, under a budget, in the one recency order; without one,
   * from each cache in proportion to the bytes it holds, least recently used first in each.
   * The room stays held down (the caches do not refill it) until the claim is released.
   */
  reclaim(bytes: number): CacheClaim {
    const given = new Map<PoolMember, { entries: number; bytes: number }>()
    const evict = (member: PoolMember): number => {
      const got = member.evictColdest()
      if (got === 0) return 0
      const tally = given.get(member) ?? { entries: 0, bytes: 0 }
      tally.entries++
      tally.bytes += got
      given.set(member, tally)
      return got
    }
    let freed = 0
    for (const priority of GIVE_BACK_ORDER) {
      if (freed >= bytes) break
      const members = this.#members.get(priority)!
      freed += this.budgeted
        ? this.#reclaimByRecency(members, bytes - freed, evict)
        : reclaimShares(members, bytes - freed, evict)
    }
    if (given.size === 0) return NO_CLAIM
    for (const [member, tally] of given) member.hold(tally.entries, tally.bytes)
    let released = false
    return {
      freed,
      release: () => {
        if (released) return
        released = true
        for (const [member, tally] of given) member.unhold(tally.entries, tally.bytes)
      },
    }
  }

  /** What `reclaim` could give back at most: every member's bytes. */
  reclaimable(): number {
    return this.used()
  }

  #reclaimByRecency(members: readonly PoolMember[], bytes: number, evict: (member: PoolMember) => number): number {
    let freed = 0
    while (freed < bytes) {
      const victim = this.#coldestOf(members)
      if (victim === undefined) break
      freed += evict(victim)
    }
    return freed
  }

  /** The member whose least recently used entry is the oldest of all; undefined when every one is empty. */
  #coldestOf(members: readonly PoolMember[]): PoolMember | undefined {
    // One cache holding anything needs no comparison: reading a cache's coldest tick walks lru-cache's iterator.
    let holding = 0
    let only: PoolMember | undefined
    for (let i = 0; i < members.length; i++) {
      if (members[i]!.bytes() === 0) continue
      holding++
      only = members[i]
    }
    if (holding <= 1) return only
    let victim: PoolMember | undefined
    let oldest = Infinity
    for (const member of members) {
      const tick = member.coldest()
      if (tick < oldest) {
        oldest = tick
        victim = member
      }
    }
    return victim
  }
}

/** Without ticks: each cache gives its share of `bytes`, in proportion to what it holds. */
function reclaimShares(members: readonly PoolMember[], bytes: number, evict: (member: PoolMember) => number): number {
  const held = [...members].map((member) => ({ member, bytes: member.bytes() }))
  const total = held.reduce((sum, h) => sum + h.bytes, 0)
  if (total <= 0) return 0
  let freed = 0
  for (const { member, bytes: own } of held) {
    const share = Math.min(own, Math.ceil((bytes * own) / total))
    let given = 0
    while (given < share) {
      const got = evict(member)
      if (got === 0) break
      given += got
    }
    freed += given
  }
  return freed
}

/**
 * `createController({ caches: { budget } })`: bytes (a whole number above 1), or a ratio in
 * (0, 1] of the heap source's limit. Returns the budget in bytes (Infinity when not set).
 */
export function resolveBudget(where: string, value: unknown, heapLimit: () => number | undefined): number {
  if (value === undefined) return Infinity
  const budget = checkNumber(where, 'option `caches.budget`', value, { above: 0 })
  if (budget > 1) {
    if (!Number.isInteger(budget)) {
      throw new RangeError(
        `${where}: option \`caches.budget\` must be a ratio in (0, 1] of the heap limit or a whole number of bytes, got ${describe(value)}`,
      )
    }
    return budget
  }
  const limit = heapLimit()
  if (limit === undefined) {
    throw new RangeError(
      `${where}: option \`caches.budget\` is a ratio (${budget}) of the heap source's limit, but that source could not be read; give the budget in bytes`,
    )
  }
  return Math.max(1, Math.floor(budget * limit))
}
