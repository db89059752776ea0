import type { Floor, GcInfo, Logger, Source, SourceContext, SourceFloor } from '../types.js'
import { messageOf } from '../../util/validate.js'
import type { GcTimings } from '../readings/gc-timings.js'
import { Floors } from './floors.js'
import { GcEffort } from './gc-effort.js'

export interface SignalsOptions {
  sources: readonly Source[]
  /**
   * The controller's live settings: a floor holds for `recoveryMs` after it was last raised, and
   * sources' `poll()` runs at most every `intervalMs` (the slow poll). Read at each use, so
   * `configure()` applies.
   */
  tuning: { readonly recoveryMs: number; readonly intervalMs: number }
  now: () => number
  report: (error: unknown) => void
  logger: Logger
  /** Learns full-GC pauses from the mark-compacts GC effort sees. */
  timings?: GcTimings
}

/**
 * Everything besides the ratio that can raise the measured level: GC effort (from the GC seam)
 * and the sources' slower signals (`poll()`, on the slow poll). Their floors are combined in
 * `Floors`; the level machine takes the highest as the least level it may show. Also hands the
 * sources their context, and closes them.
 */
export class FloorSignals {
  readonly #sources: readonly Source[]
  readonly #polled: readonly Source[]
  readonly #floors: Floors
  readonly #gc: GcEffort
  readonly #tuning: { readonly intervalMs: number }
  readonly #logger: Logger
  /** The context every source's `read()` and `poll()` gets: one object, built once. */
  readonly context: SourceContext
  #lastPoll = -Infinity
  /** Major GCs seen; undefined until the GC seam has delivered one notification. */
  #majorGcs: number | undefined

  constructor(options: SignalsOptions) {
    this.#sources = options.sources
    this.#polled = options.sources.filter((source) => typeof source.poll === 'function')
    this.#floors = new Floors(options.tuning)
    this.#gc = new GcEffort(options.timings)
    this.#tuning = options.tuning
    this.#logger = options.logger
    const majorGcs = (): number | undefined => this.#majorGcs
    this.context = Object.freeze({
      now: options.now,
      report: options.report,
      get majorGcs() {
        return majorGcs()
      },
    })
  }

  /** The floor that holds at `at` (the highest), or undefined: runs the sources' `poll()` first when the slow poll is due. */
  floor(at: number): Floor | undefined {
    if (this.#polled.length > 0 && at - this.#lastPoll >= this.#tuning.intervalMs) {
      this.#lastPoll = at
      for (const source of this.#polled) this.#poll(source, at)
    }
    return this.#floors.top(at)
  }

  /** Counts a GC notification (sources tell collection cycles apart by it): call it for every one. */
  countGc(info: GcInfo): void {
    this.#majorGcs = (this.#majorGcs ?? 0) + (info?.major === true ? 1 : 0)
  }

  /** Feeds a GC notification to the GC-effort signal; true when it raised a floor (sample now). */
  readonly onGc = (info: GcInfo): boolean => {
    const floor = this.#gc.observe(info)
    if (floor === undefined) return false
    this.#raise('gc', floor, this.context.now())
    return true
  }

  /** Takes in a GC heapguard requested itself (a live check): no effort is measured from it. */
  skipGc(info: GcInfo): void {
    this.#gc.skip(info)
  }

  /** Tells GC effort whether the cheap actions are in effect (see `GcEffort.arm`). */
  armEffort(active: boolean): void {
    this.#gc.arm(active)
  }

  /** The floors that hold at `at`, highest first. */
  active(at: number): Floor[] {
    return this.#floors.active(at)
  }

  /** Closes every source that has `close()`; a failing one is reported, the others still close. */
  close(): void {
    for (const source of this.#sources) {
      if (typeof source.close !== 'function') continue
      try {
        source.close()
      } catch (error) {
        this.context.report(
          new Error(`heapguard: source "${source.name}" close() threw: ${messageOf(error)}`, { cause: error }),
        )
      }
    }
  }

  #poll(source: Source, at: number): void {
    let floors: unknown
    try {
      floors = source.poll!(this.context)
    } catch (error) {
      this.context.report(
        new Error(`heapguard: source "${source.name}" poll() threw: ${messageOf(error)}`, { cause: error }),
      )
      return
    }
    if (!Array.isArray(floors)) return
    for (const floor of floors as unknown[]) {
      if (isFloor(floor)) this.#raise(source.name, floor, at)
    }
  }

  #raise(from: string, floor: SourceFloor, at: number): void {
    if (this.#floors.raise(from, floor, at)) {
      this.#logger.warn?.(
        `heapguard: ${floorName({ from, signal: floor.signal })}: ${floor.reason}; the level stays at ${floor.level} or above`,
      )
    }
  }
}

/** `gc`, or `cgroup memory.events`: the signal, with the source that raised it when they differ. */
export function floorName({ from, signal }: { from: string; signal: string }): string {
  return from === signal ? signal : `${from} ${signal}`
}

function isFloor(value: unknown): value is SourceFloor {
  const floor = value as Partial<SourceFloor> | null
  return (
    typeof floor === 'object' &&
    floor !== null &&
    (floor.level === 'warning' || floor.level === 'critical' || floor.level === 'emergency') &&
    typeof floor.signal === 'string' &&
    typeof floor.reason === 'string'
  )
}
