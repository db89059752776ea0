import type { CacheStats } from '../../caches/types.js'
import type { FlagInfo } from '../../degrade/features.js'
import type { TaskInfo } from '../../degrade/task.js'
import type { Level } from '../../pressure/levels.js'
import type { Mode } from '../../pressure/delivery/level-bus.js'
import type { Trend } from '../../pressure/history/trend.js'
import type { Sample, Thresholds } from '../../pressure/types.js'
import type { CacheBudgetStats } from '../../caches/pool.js'
import { dbCountersOf, type DbCounters, type PoolGauges } from '../../db/counters.js'
import type { ObservedController, ObservedReservationStats, ObservedShedStats } from '../observed.js'
import type { LeakStats, LeakSuspect } from '../../leaks/leaks.js'
import type { LeakReport } from '../../leaks/report.js'

type Outcome = { value: unknown } | { error: unknown }

/**
 * The controller as one Prometheus scrape sees it. Each piece of state is read at its first use
 * and at most once, however many metric families show it: a cache's `stats()` may measure entries
 * through the size estimator and a query cache's walks every query, so eight cache families must
 * not mean eight reads. It also keeps the families of one scrape consistent with each other.
 */
export class ScrapeSnapshot {
  readonly #pressure: ObservedController
  readonly #read = new Map<string, Outcome>()

  constructor(pressure: ObservedController) {
    this.#pressure = pressure
  }

  get level(): Level {
    return this.#once('level', () => this.#pressure.level)
  }

  get measuredLevel(): Level {
    return this.#once('measuredLevel', () => this.#pressure.measuredLevel)
  }

  /** undefined for a controller that predates modes. */
  get appliedLevel(): Level | undefined {
    return this.#once('appliedLevel', () => this.#pressure.appliedLevel)
  }

  get mode(): Mode | undefined {
    return this.#once('mode', () => this.#pressure.mode)
  }

  get forced(): Level | null {
    return this.#once('forced', () => this.#pressure.forced)
  }

  get ratio(): number {
    return this.#once('ratio', () => this.#pressure.ratio)
  }

  get thresholds(): Readonly<Thresholds> {
    return this.#once('thresholds', () => this.#pressure.thresholds)
  }

  get lastSample(): Sample | undefined {
    return this.#once('lastSample', () => this.#pressure.lastSample)
  }

  transitionCounts(): Record<Level, number> {
    return this.#once('transitionCounts', () => this.#pressure.transitionCounts())
  }

  /** Undefined for a controller that predates causes. */
  transitionCountsByCause(): Record<Level, Record<string, number>> | undefined {
    return this.#once('transitionCountsByCause', () => this.#pressure.transitionCountsByCause?.())
  }

  trend(): Trend {
    return this.#once('trend', () => this.#pressure.trend())
  }

  /** Empty without a cache registry. */
  caches(): CacheStats[] {
    return this.#once('caches', () => this.#pressure.caches?.stats() ?? [])
  }

  /** undefined without a cache registry (or one that predates regrowth). */
  get cachesRegrowing(): boolean | undefined {
    return this.#once('cachesRegrowing', () => this.#pressure.caches?.regrowing)
  }

  /** null without a budget (or a registry). */
  cacheBudget(): CacheBudgetStats | null {
    return this.#once('cacheBudget', () => this.#pressure.caches?.budget ?? null)
  }

  /** undefined on a controller without reservations. */
  reservations(): ObservedReservationStats | undefined {
    return this.#once('reservations', () => this.#pressure.reservations?.stats())
  }

  /** undefined without a shedder. */
  shed(): ObservedShedStats | undefined {
    return this.#once('shed', () => this.#pressure.shed?.stats())
  }

  features(): FlagInfo[] {
    return this.#once('features', () => this.#pressure.features?.list() ?? [])
  }

  /** The newest leak report (undefined before the first, or without leaks). */
  leakReport(): LeakReport | undefined {
    return this.#once('leakReport', () => this.#pressure.leaks?.last)
  }

  /** A leak still held, or null (also without leaks). */
  leakSuspect(): LeakSuspect | null {
    return this.#once('leakSuspect', () => this.#pressure.leaks?.suspect ?? null)
  }

  /** undefined without leaks. */
  leakStats(): LeakStats | undefined {
    return this.#once('leakStats', () => this.#pressure.leaks?.stats())
  }

  tasks(): TaskInfo[] {
    return this.#once('tasks', () => this.#pressure.tasks?.list() ?? [])
  }

  /** The controller's database counters (heapguard/prisma, heapguard/pg); undefined when no adapter was given it. */
  database(): DbCounters | undefined {
    return this.#once('database', () => dbCountersOf(this.#pressure))
  }

  /** Each managed pool's gauges, read once per scrape. */
  poolGauges(): [string, PoolGauges][] {
    return this.#once('poolGauges', () => [...(this.database()?.pools ?? [])].map(([name, read]) => [name, read()]))
  }

  /** A read that threw is remembered too: every family that needs it fails alike, without reading again. */
  #once<T>(key: string, read: () => T): T {
    let outcome = this.#read.get(key)
    if (outcome === undefined) {
      try {
        outcome = { value: read() }
      } catch (error) {
        outcome = { error }
      }
      this.#read.set(key, outcome)
    }
    if ('error' in outcome) throw outcome.error
    return outcome.value as T
  }
}

/**
 * Hands every metric family of a scrape the same snapshot. prom-client calls the `collect()` of
 * every family of a scrape synchronously, one after the other (`registry.metrics()` maps them
 * before its first await), so a snapshot serves until the current turn ends. A family asking a
 * second time within the turn means another scrape began in it: that one gets a fresh snapshot.
 */
export function snapshotPerScrape(pressure: ObservedController): (family: string) => ScrapeSnapshot {
  let current: ScrapeSnapshot | undefined
  let readers = new Set<string>()
  return (family) => {
    if (current === undefined || readers.has(family)) {
      const fresh = new ScrapeSnapshot(pressure)
      current = fresh
      readers = new Set()
      // Expire at the end of the turn, so a later scrape (or a single family read later) sees new state.
      queueMicrotask(() => {
        if (current === fresh) current = undefined
      })
    }
    readers.add(family)
    return current
  }
}
