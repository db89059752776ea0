import type { Level } from '../pressure/levels.js'
import type { Trend } from '../pressure/trend.js'
import type { ControllerEvents, LevelChange, Sample, Thresholds } from '../pressure/types.js'
import { describe } from '../validate.js'

/**
 * What the observation entries read from a controller, typed structurally so that
 * `heapguard/prometheus` and `heapguard/http` never import the controller implementation.
 * A controller from `createController()` satisfies it; the subsystem members are optional so a
 * bare pressure controller can be observed too (its caches, shedding, flags and tasks are then
 * simply absent from the output).
 */
export interface ObservedController {
  readonly level: Level
  readonly measuredLevel: Level
  readonly ratio: number
  readonly forced: Level | null
  readonly thresholds: Readonly<Thresholds>
  readonly hysteresis: number
  readonly lastSample: Sample | undefined
  readonly closed: boolean
  history(): Sample[]
  transitions(): LevelChange[]
  transitionCounts(): Record<Level, number>
  trend(): Trend
  on<E extends keyof ControllerEvents>(event: E, fn: (...args: ControllerEvents[E]) => void): unknown
  off<E extends keyof ControllerEvents>(event: E, fn?: (...args: ControllerEvents[E]) => void): unknown
  readonly caches?: { stats(): ObservedCacheStats[] }
  readonly shed?: { stats(): ObservedShedStats }
  readonly features?: { list(): ObservedFlag[] }
  readonly tasks?: { list(): ObservedTask[] }
}

export type CachePriority = 'essential' | 'normal' | 'optional'
export type RequestPriority = 'critical' | 'high' | 'normal' | 'low'

export const REQUEST_PRIORITIES: readonly RequestPriority[] = ['critical', 'high', 'normal', 'low']

/** The fields of `CacheStats` (contract §2) the observers show. */
export interface ObservedCacheStats {
  name: string
  priority: CachePriority
  entries: number
  bytes: number
  capacity: number
  multiplier: number
  hits: number
  misses: number
  evictions: number
  hitRatio: number
}

export interface ObservedShedStats {
  inFlight: number
  queued: number
  admitted: number
  refused: Record<RequestPriority, number>
  /** The concurrency limit now, or null when admission is by level only. */
  limit: number | null
}

export interface ObservedFlag {
  name: string
  enabled: boolean
  offAt: Level
  override: 'on' | 'off' | null
}

export interface ObservedTask {
  name: string
  intervalMs: number
  pauseAt: Level
  paused: boolean
  running: boolean
  runs: number
  failures: number
  lastRunAt: number | null
  stopped: boolean
}

/** Rejects anything that is not a controller at the call site, not at the first scrape. */
export function checkController(where: string, value: unknown): ObservedController {
  const c = value as Partial<ObservedController> | null
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.history !== 'function' ||
    typeof c.transitionCounts !== 'function' ||
    typeof c.trend !== 'function' ||
    typeof c.on !== 'function' ||
    typeof c.off !== 'function'
  ) {
    throw new TypeError(`${where}: argument \`pressure\` must be a controller from createController(), got ${describe(value)}`)
  }
  return c as ObservedController
}
