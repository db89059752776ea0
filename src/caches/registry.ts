import type { ControllerCore } from '../pressure/core.js'
import { LEVELS, type Level } from '../pressure/levels.js'
import { checkMethods, checkNumber, checkOneOf, checkOptions, checkString, MAX_TIMER_MS } from '../util/validate.js'
import { CachePool, type CacheBudgetStats, type CacheClaim } from './pool.js'
import { CachePreview } from './preview.js'
import { resolveLruOptions, type ManagedLruOptions } from './lru/options.js'
import { differentOption } from './lru/same-options.js'
import { isThenable } from '../util/safe-call.js'
import { ManagedLruCache, type ManagedLru } from './lru/managed-lru.js'
import { resolveCachePolicy, type CachePolicy, type CachePolicyOptions } from './policy.js'
import { SliceTrimmer } from './trim.js'
import { CACHE_PRIORITIES, type CachePriority, type CacheStats, type Managed, type RegisterOptions } from './types.js'

export type { CachePolicyOptions } from './policy.js'

/** `createController({ caches })`. */
export interface CacheOptions {
  /**
   * One byte budget for all caches from `caches.lru()` together: bytes (a whole number above 1)
   * or a ratio in (0, 1] of the heap source's limit. When a `set` takes them past it, the least
   * recently used entries of the lowest-priority caches are evicted first. Default: none.
   */
  budget?: number
}

/** What reservations need from the caches: the room they could give back, and the giving. */
export interface CacheRoom {
  /** Bytes the caches hold that a reservation may claim. */
  reclaimable(): number
  /**
   * Evicts at least `bytes` if the caches hold that much, lowest priority and least recently
   * used first; the room stays held down until the claim is released.
   */
  reclaim(bytes: number): CacheClaim
}

interface Registration {
  readonly managed: Managed
  readonly priority: CachePriority
}

/** What `configure()` may change on a live registry. */
export interface CacheTuning {
  cachePolicy?: CachePolicyOptions
  regrowMs?: number
}

/** Default 30 s: after pressure, caches grow back to full capacity over this long. */
const DEFAULT_REGROW_MS = 30_000

/** Regrowth resizes the caches each time it has come this much further (at most ~100 resizes per regrowth). */
const REGROW_STEP = 0.01

function checkRegrowMs(where: string, value: unknown): number {
  return checkNumber(where, 'option `regrowMs`', value, { min: 0, max: MAX_TIMER_MS })
}

/**
 * `pressure.caches`: every managed cache of a controller. On each change of the applied level
 * it resizes every cache to the multiplier the cache policy gives its priority, synchronously,
 * before user `'level'` listeners run. Back at `normal`, caches grow back over `regrowMs`,
 * advanced by the controller's samples.
 */
export interface CacheRegistry {
  /** The multipliers in force: the defaults with `createController({ cachePolicy })` (and `configure()`) merged over them. */
  readonly policy: CachePolicy
  /** How long caches take to grow back to full capacity after pressure (ms; 0: at once). */
  readonly regrowMs: number
  /** True while the caches grow back after pressure. */
  readonly regrowing: boolean
  /**
   * Creates and registers a managed LRU cache. `max` is required; `maxSize`, `sizeCalculation`,
   * `ttl` and the lru-cache passthrough options are optional; `priority` defaults to `'normal'`.
   * A cache created under pressure starts at the current level's multiplier of what it holds
   * (nothing), so it stays empty until the level is back at `normal`.
   *
   * Idempotent: a name already created by `lru()` with equal options (functions compared by their
   * source text, since each bundle and each hot reload has its own copy) returns that cache, so
   * every bundle of an application may write the same call. Other options throw an Error naming
   * the option that differs; a name held by a cache from `register()` throws too.
   */
  lru<K extends {}, V extends {}>(name: string, options: ManagedLruOptions<K, V>): ManagedLru<K, V>
  /**
   * Registers anything that implements `Managed` (e.g. `manageQueryCache(...)` from
   * `heapguard/query`) and resizes it at once to the current level's multiplier. Returns it.
   */
  register<M extends Managed>(name: string, managed: M, options?: RegisterOptions): M
  /** The cache registered under `name`, if any. */
  get(name: string): Managed | undefined
  /** True when a cache is registered under `name`. */
  has(name: string): boolean
  /** Registered names, in registration order. */
  names(): string[]
  /**
   * Stops managing the cache: no more resizes, and its `dispose()` (if any) is called. A cache
   * from `lru()` goes back to a plain LRU bounded by its own `max` (a trim in progress stops).
   * True when it was registered.
   */
  unregister(name: string): boolean
  /** The byte budget of all `caches.lru()` caches together, or null when none is set. */
  readonly budget: CacheBudgetStats | null
  /** One `CacheStats` per registered cache, in registration order. */
  stats(): CacheStats[]
  /** The multiplier the policy gives `priority` at `level` (default: the level now). */
  multiplier(priority: CachePriority, level?: Level): number
}

/** The controller's `CacheRegistry`: its caches follow the level the controller applies. */
export class LevelCacheRegistry implements CacheRegistry {
  #policy: CachePolicy
  #regrowMs: number
  readonly #core: ControllerCore
  readonly #caches = new Map<string, Registration>()
  readonly #names = new Map<Managed, string>()
  /** The options each cache from `lru()` was built with: a later `lru()` of its name must give equal ones. */
  readonly #lruOptions = new WeakMap<Managed, Readonly<Record<string, unknown>>>()
  readonly #trimmer: SliceTrimmer
  readonly #preview = new CachePreview()
  readonly #pool: CachePool
  /** The level the caches were last resized to. */
  #level: Level
  /** When regrowth began (controller clock), or null when the caches are not growing back. */
  #regrowSince: number | null = null
  /** How far regrowth had come at the last resize (0..1). */
  #progress = 1

  /** `budget`: the byte budget of all caches (Infinity: none). */
  constructor(core: ControllerCore, policy?: CachePolicyOptions, regrowMs = DEFAULT_REGROW_MS, budget = Infinity) {
    this.#core = core
    this.#pool = new CachePool(budget)
    this.#policy = resolveCachePolicy('createController', policy)
    this.#regrowMs = checkRegrowMs('createController', regrowMs)
    this.#level = core.level
    this.#trimmer = new SliceTrimmer({ report: (error) => core.report(error) })
    core.onLevelChange((change) => this.#follow(change.at))
    core.onSample((sample) => this.#regrow(sample.at))
    core.onPreview((change) => this.#preview.describe(change, this.#caches, this.#policy, this.#regrowMs))
    core.onClose(() => this.#close())
    core.onSettling(() => this.#trimmer.busy)
  }

  /** The caches' room for reservations (the composition root hands it to the ledger). */
  get room(): CacheRoom {
    return this.#pool
  }

  get policy(): CachePolicy {
    return this.#policy
  }

  get regrowMs(): number {
    return this.#regrowMs
  }

  get regrowing(): boolean {
    return this.#regrowSince !== null
  }

  lru<K extends {}, V extends {}>(name: string, options: ManagedLruOptions<K, V>): ManagedLru<K, V> {
    const where = `caches.lru(${typeof name === 'string' ? JSON.stringify(name) : ''})`
    const existing = typeof name === 'string' ? this.#caches.get(name) : undefined
    if (existing !== undefined) return this.#again<K, V>(where, name, existing, options)
    this.#checkName(where, name)
    const resolved = resolveLruOptions<K, V>(where, options)
    const cache = new ManagedLruCache<K, V>(name, resolved, {
      trimmer: this.#trimmer,
      report: (error) => this.#core.report(error),
      pool: this.#pool,
    })
    this.#add(name, cache, resolved.priority)
    this.#lruOptions.set(cache, { ...(options as object) })
    return cache
  }

  /**
   * `lru(name)` for a name already registered: the same cache when it came from `lru()` with
   * equal options (another bundle, a hot reload), else an error naming what differs.
   */
  #again<K extends {}, V extends {}>(
    where: string,
    name: string,
    { managed }: Registration,
    options: ManagedLruOptions<K, V>,
  ): ManagedLru<K, V> {
    if (this.#core.closed) throw new Error(`${where}: called after the controller was closed`)
    const before = this.#lruOptions.get(managed)
    if (before === undefined) {
      throw new Error(`${where}: the name "${name}" is held by a cache registered with caches.register()`)
    }
    resolveLruOptions<K, V>(where, options) // bad options are named as such, before any comparison
    const differs = differentOption(before, options as object as Record<string, unknown>)
    if (differs !== undefined) {
      throw new Error(
        `${where}: a cache named "${name}" is already registered with other options: option \`${differs.name}\` was ${differs.before}, now ${differs.now}`,
      )
    }
    return managed as ManagedLruCache<K, V>
  }

  register<M extends Managed>(name: string, managed: M, options?: RegisterOptions): M {
    const where = `caches.register(${typeof name === 'string' ? JSON.stringify(name) : ''})`
    this.#checkName(where, name)
    checkMethods<Managed>(
      where,
      'argument `managed`',
      managed,
      ['resize', 'clear', 'stats'],
      'implement resize(), clear() and stats()',
    )
    const checked = checkOptions<RegisterOptions>(where, 'options', options, ['priority'])
    const priority =
      checked.priority === undefined
        ? 'normal'
        : checkOneOf(where, 'option `priority`', checked.priority, CACHE_PRIORITIES)
    const other = this.#names.get(managed)
    if (other !== undefined) throw new Error(`${where}: this cache is already registered as "${other}"`)
    managed.onRegister?.({ name, priority, report: (error) => this.#core.report(error) })
    this.#add(name, managed, priority)
    return managed
  }

  get(name: string): Managed | undefined {
    return this.#caches.get(name)?.managed
  }

  has(name: string): boolean {
    return this.#caches.has(name)
  }

  names(): string[] {
    return [...this.#caches.keys()]
  }

  unregister(name: string): boolean {
    const registration = this.#caches.get(name)
    if (registration === undefined) return false
    this.#caches.delete(name)
    this.#names.delete(registration.managed)
    this.#detach(registration.managed)
    return true
  }

  get budget(): CacheBudgetStats | null {
    return this.#pool.budgeted ? this.#pool.stats() : null
  }

  stats(): CacheStats[] {
    const all: CacheStats[] = []
    for (const [name, { managed, priority }] of this.#caches) {
      try {
        const stats = managed.stats()
        // The registry's name and priority are the ones that drive resizing: report those.
        all.push(stats.name === name && stats.priority === priority ? stats : { ...stats, name, priority })
      } catch (error) {
        this.#core.report(error)
      }
    }
    return all
  }

  multiplier(priority: CachePriority, level: Level = this.#core.level): number {
    checkOneOf('caches.multiplier', 'argument `priority`', priority, CACHE_PRIORITIES)
    checkOneOf('caches.multiplier', 'argument `level`', level, LEVELS)
    return this.#policy[level][priority]
  }

  #checkName(where: string, name: unknown): asserts name is string {
    const checked = checkString(where, 'argument `name`', name)
    if (this.#caches.has(checked)) throw new Error(`${where}: a cache named "${checked}" is already registered`)
    if (this.#core.closed) throw new Error(`${where}: called after the controller was closed`)
  }

  #add(name: string, managed: Managed, priority: CachePriority): void {
    this.#caches.set(name, { managed, priority })
    this.#names.set(managed, name)
    this.#resize(managed, priority, this.#core.level)
  }

  /** Follows the applied level; a return to `normal` from pressure starts the regrowth. */
  #follow(at: number): void {
    const level = this.#core.level
    if (level !== 'normal') {
      this.#regrowSince = null
    } else if (this.#level !== 'normal' && this.#regrowMs > 0) {
      this.#regrowSince = at
      this.#progress = 0
    }
    this.#level = level
    this.#resizeAll(level)
  }

  /** After each sample: regrowth advances by the controller's clock, in steps of at least REGROW_STEP. */
  #regrow(at: number): void {
    if (this.#regrowSince === null || this.#level !== 'normal') return
    const elapsed = (at - this.#regrowSince) / this.#regrowMs
    const progress = this.#regrowMs === 0 ? 1 : Math.min(1, Math.max(0, elapsed))
    if (progress < 1 && progress - this.#progress < REGROW_STEP) return
    this.#progress = progress
    if (progress === 1) this.#regrowSince = null
    this.#resizeAll('normal')
  }

  #resizeAll(level: Level): void {
    for (const { managed, priority } of this.#caches.values()) this.#resize(managed, priority, level)
  }

  /** Resizes one cache; a throw or a rejected promise is reported, never raised into the controller. */
  #resize(managed: Managed, priority: CachePriority, level: Level): void {
    try {
      const multiplier = this.#policy[level][priority]
      // The progress only while regrowing: a Managed that is not growing back sees the two-argument call it always saw.
      const result =
        this.#regrowSince === null
          ? managed.resize(multiplier, level)
          : managed.resize(multiplier, level, this.#progress)
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#core.report(error))
    } catch (error) {
      this.#core.report(error)
    }
  }

  /** No longer managed: `dispose()` detaches it (a cache from `lru()` stops trimming and goes back to its own max). */
  #detach(managed: Managed): void {
    try {
      managed.dispose?.()
    } catch (error) {
      this.#core.report(error)
    }
  }

  /**
   * `configure({ cachePolicy, regrowMs })` on the live registry: checks both as at construction
   * (the policy merged over the one in force) and returns the function that puts them in force,
   * or throws.
   */
  prepare(where: string, { cachePolicy, regrowMs }: CacheTuning): () => void {
    let policy = this.#policy
    if (cachePolicy !== undefined) {
      // The partial alone first, so that a bad key or value is named as the caller wrote it.
      resolveCachePolicy(where, cachePolicy)
      const merged: CachePolicyOptions = {}
      for (const level of LEVELS) merged[level] = { ...this.#policy[level], ...cachePolicy[level] }
      policy = resolveCachePolicy(where, merged)
    }
    const regrow = regrowMs === undefined ? this.#regrowMs : checkRegrowMs(where, regrowMs)
    return () => {
      this.#policy = policy
      this.#regrowMs = regrow
      if (cachePolicy !== undefined) this.#resizeAll(this.#level)
    }
  }

  #close(): void {
    this.#trimmer.close()
    for (const { managed } of this.#caches.values()) this.#detach(managed)
  }
}
