import type { CacheBudgetStats } from '../caches/pool.js'
import type { CacheStats } from '../caches/types.js'
import type { ReservationStats } from '../degrade/reserve/ledger.js'
import type { FlagInfo } from '../degrade/features.js'
import type { ShedStats } from '../degrade/shed/shedder.js'
import type { TaskInfo } from '../degrade/task.js'
import type { Level } from '../pressure/levels.js'
import type { Mode } from '../pressure/delivery/level-bus.js'
import type { Trend } from '../pressure/history/trend.js'
import type { LeakStats, LeakSuspect } from '../leaks/leaks.js'
import type { CaptureOptions } from '../leaks/options.js'
import type { LeakReport } from '../leaks/report.js'
import type { ControllerEvents, Floor, LevelChange, Sample, Thresholds } from '../pressure/types.js'
import { checkMethods } from '../util/validate.js'

/**
 * What the observation entries read from a controller, typed structurally so that
 * `heapguard/prometheus` and `heapguard/http` never import the controller implementation
 * (the subsystems' row types are imported as types only, which costs nothing at run time).
 * A controller from `createController()` satisfies it; the subsystem members are optional so a
 * bare pressure controller can be observed too (its caches, shedding, flags and tasks are then
 * simply absent from the output).
 */
export interface ObservedController {
  readonly level: Level
  readonly measuredLevel: Level
  readonly ratio: number
  readonly forced: Level | null
  /** The level the subsystems apply (`normal` in observe mode); absent on controllers that predate modes. */
  readonly appliedLevel?: Level
  /** `'enforce'` or `'observe'`; absent on controllers that predate modes (they enforce). */
  readonly mode?: Mode
  readonly thresholds: Readonly<Thresholds>
  readonly hysteresis: number
  readonly lastSample: Sample | undefined
  readonly closed: boolean
  history(): Sample[]
  transitions(): LevelChange[]
  transitionCounts(): Record<Level, number>
  /** By level and cause; absent on controllers that predate causes. */
  transitionCountsByCause?(): Record<Level, Record<string, number>>
  /** The floors that hold now; absent on controllers that predate floors. */
  floors?(): Floor[]
  trend(): Trend
  /** Reports a failure on the controller's `'error'` event (or its logger); never throws. */
  report?(error: unknown): void
  on<E extends keyof ControllerEvents>(event: E, fn: (...args: ControllerEvents[E]) => void): unknown
  off<E extends keyof ControllerEvents>(event: E, fn?: (...args: ControllerEvents[E]) => void): unknown
  readonly caches?: { stats(): CacheStats[]; readonly regrowing?: boolean; readonly budget?: CacheBudgetStats | null }
  /** Bytes live reservations add now (absent on controllers without reservations). */
  readonly reserved?: number
  readonly reservations?: { stats(): ObservedReservationStats }
  readonly shed?: { stats(): ObservedShedStats }
  readonly features?: { list(): FlagInfo[] }
  readonly tasks?: { list(): TaskInfo[] }
  /** What grows (absent on controllers without it). */
  readonly leaks?: ObservedLeaks
}

/** The part of `pressure.leaks` the observers show and the dashboard's capture button calls. */
export interface ObservedLeaks {
  readonly last: LeakReport | undefined
  readonly running: boolean
  readonly suspect: LeakSuspect | null
  stats(): LeakStats
  capture(options?: CaptureOptions): Promise<LeakReport>
}

/** The part of `reservations.stats()` the observers show. */
export type ObservedReservationStats = Pick<
  ReservationStats,
  'active' | 'reserved' | 'held' | 'reclaimed' | 'claimedFromCaches' | 'granted' | 'refused' | 'expired'
> &
  // Optional: a controller of an older copy of heapguard has no estimate check.
  Partial<Pick<ReservationStats, 'underestimated'>>

/** The part of `shed.stats()` the observers show. */
export type ObservedShedStats = Pick<ShedStats, 'inFlight' | 'queued' | 'admitted' | 'refused' | 'limit'>

/** Rejects anything that is not a controller at the call site, not at the first scrape. */
export function checkController(where: string, value: unknown): ObservedController {
  return checkMethods<ObservedController>(
    where,
    'argument `pressure`',
    value,
    ['history', 'transitionCounts', 'trend', 'on', 'off'],
    'be a controller from createController()',
  )
}
