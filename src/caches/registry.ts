import type { ControllerCore } from '../pressure/core.js'
import { LEVELS, type Level } from '../pressure/levels.js'
import { checkMethods, checkOneOf, checkOptions, checkString } from '../util/validate.js'
import { CacheBudget, type CacheBudgetStats, type CacheClaim } from './budget.js'
import { resolveLruOptions, type ManagedLruOptions } from './lru-options.js'
import { isThenable } from '../util/safe-call.js'
import { createManagedLru, type ManagedLru } from './managed-lru.js'
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

/** What reservations need from the caches (module-private): the room they could give back, and the giving. */
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

/** Builds the controller's `caches`; the constructor is private to this module. */
export let createCacheRegistry: (core: ControllerCore, policy?: CachePolicyOptions, budget?: number) => CacheRegistry

/** The caches' room for reservations; module-private. */
export let cacheRoom: (registry: CacheRegistry) => CacheRoom

/**
 * `pressure.caches`: every managed cache of a controller. On each change of the effective level
 * it resizes every cache to the multiplier the cache policy gives its priority, synchronously,
 * before user `'level'` listeners run.
 */
export class CacheRegistry {
  /** The multipliers in force: the defaults with `createController({ cachePolicy })` merged over them. */
  readonly policy: CachePolicy
  readonly #core: ControllerCore
  readonly #caches = new Map<string, Registration>()
  readonly #names = new Map<Managed, string>()
  readonly #trimmer: SliceTrimmer
  readonly #budget: CacheBudget

  static {
    createCacheRegistry = (core, policy, budget) => new CacheRegistry(core, policy, budget)
    cacheRoom = (registry) => ({
      reclaimable: () => registry.#budget.reclaimable(),
      reclaim: (bytes) => registry.#budget.reclaim(bytes),
    })
  }

  private constructor(core: ControllerCore, policy?: CachePolicyOptions, budget = Infinity) {
    this.#core = core
    this.policy = resolveCachePolicy('createController', policy)
    this.#budget = new CacheBudget(budget)
    this.#trimmer = new SliceTrimmer({ report: (error) => core.report(error) })
    core.onLevelChange((change) => this.#resizeAll(change.to))
    core.onClose(() => this.#close())
  }

  /**
   * Creates and registers a managed LRU cache. `max` is required; `maxSize`, `sizeCalculation`,
   * `ttl` and the lru-cache passthrough options are optional; `priority` defaults to `'normal'`.
   * A cache created under pressure starts at the current level's multiplier of what it holds
   * (nothing), so it stays empty until the level is back at `normal`.
   */
  lru<K extends {}, V extends {}>(name: string, options: ManagedLruOptions<K, V>): ManagedLru<K, V> {
    const where = `caches.lru(${typeof name === 'string' ? JSON.stringify(name) : ''})`
    this.#checkName(where, name)
    const resolved = resolveLruOptions<K, V>(where, options)
    const cache = createManagedLru<K, V>(name, resolved, {
      trimmer: this.#trimmer,
      report: (error) => this.#core.report(error),
      budget: this.#budget,
    })
    this.#add(name, cache, resolved.priority)
    return cache
  }

  /**
   * Registers anything that implements `Managed` (e.g. `manageQueryCache(...)` from
   * `heapguard/query`) and resizes it at once to the current level's multiplier. Returns it.
   */
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

  /** The cache registered under `name`, if any. */
  get(name: string): Managed | undefined {
    return this.#caches.get(name)?.managed
  }

  /** True when a cache is registered under `name`. */
  has(name: string): boolean {
    return this.#caches.has(name)
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.#caches.keys()]
  }

  /**
   * Stops managing the cache: no more resizes, and its `dispose()` (if any) is called. A cache
   * from `lru()` goes back to a plain LRU bounded by its own `max` (a trim in progress stops).
   * True when it was registered.
   */
  unregister(name: string): boolean {
    const registration = this.#caches.get(name)
    if (registration === undefined) return false
    this.#caches.delete(name)
    this.#names.delete(registration.managed)
    this.#detach(registration.managed)
    return true
  }

  /** One `CacheStats` per registered cache, in registration order. */
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

  /** The byte budget of all `caches.lru()` caches together, or null when none is set. */
  get budget(): CacheBudgetStats | null {
    return this.#budget.enforced ? this.#budget.stats() : null
  }

  /** The multiplier the policy gives `priority` at `level` (default: the level now). */
  multiplier(priority: CachePriority, level: Level = this.#core.level): number {
    checkOneOf('caches.multiplier', 'argument `priority`', priority, CACHE_PRIORITIES)
    checkOneOf('caches.multiplier', 'argument `level`', level, LEVELS)
    return this.policy[level][priority]
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

  #resizeAll(level: Level): void {
    for (const { managed, priority } of this.#caches.values()) this.#resize(managed, priority, level)
  }

  /** Resizes one cache; a throw or a rejected promise is reported, never raised into the controller. */
  #resize(managed: Managed, priority: CachePriority, level: Level): void {
    try {
      const result = managed.resize(this.policy[level][priority], level)
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

  #close(): void {
    this.#trimmer.close()
    for (const { managed } of this.#caches.values()) this.#detach(managed)
  }
}
