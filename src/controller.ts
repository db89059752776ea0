import { CoreRequest, PressureController } from './pressure/pressure-controller.js'
import { PRESSURE_OPTION_KEYS, type PressureOptions } from './pressure/options.js'
import { resolveBudget } from './caches/pool.js'
import {
  LevelCacheRegistry,
  type CacheOptions,
  type CachePolicyOptions,
  type CacheRegistry,
  type CacheRoom,
} from './caches/registry.js'
import { TUNING_KEYS, type PressureTuning } from './pressure/level/tuning.js'
import { PriorityShedder, type ShedOptions } from './degrade/shed/shedder.js'
import { shedMiddleware, type Shedder } from './http/node/middleware.js'
import { ReservationLedger, type Reservations, type ReserveOptions } from './degrade/reserve/ledger.js'
import { reservationLines } from './degrade/reserve/lines.js'
import { resolveReservationOptions, type ReservationOptions } from './degrade/reserve/options.js'
import type { Reservation } from './degrade/reserve/reservation.js'
import { FlagRegistry, type FeatureFlags } from './degrade/features.js'
import { TaskRegistry, type TaskScheduler } from './degrade/tasks.js'
import { LevelLimits, type Limits } from './degrade/limits/limits.js'
import { LevelActions, type EmergencyOptions, type LevelHook, type LevelHookOptions } from './degrade/level-actions.js'
import { Shutdown, type ShutdownHook, type ShutdownHookOptions, type ShutdownOptions } from './lifecycle/shutdown.js'
import type { CloseOnSignalsOptions } from './lifecycle/signals.js'
import type { ThresholdLevel } from './pressure/levels.js'
import { checkFunction, checkOneOf, checkOptions, optionKeys } from './util/validate.js'
import type { ControllerCore } from './pressure/core.js'
import type { ControllerEvents, Thresholds } from './pressure/types.js'
import { createLeaks, type LeakFinder, type Leaks } from './leaks/leaks.js'
import type { LeakOptions } from './leaks/options.js'
import type { LeakReport } from './leaks/report.js'
import type { LeakHost } from './leaks/host.js'

export interface ControllerOptions extends PressureOptions {
  /** Size multipliers per level and cache priority, merged over the defaults. */
  cachePolicy?: CachePolicyOptions
  /** Default 30_000: after pressure, caches grow back to full capacity over this long (0: at once). */
  regrowMs?: number
  /** Admission table, concurrency limits and Retry-After for load shedding. */
  shed?: ShedOptions
  /** Opt-in emergency actions (GC, heap snapshot near the limit). */
  emergency?: EmergencyOptions
  /** One byte budget for all managed caches: `{ budget }` in bytes, or a ratio of the heap limit. */
  caches?: CacheOptions
  /** The leak guard, the reconciliation rule and the default source of reservations (`reserve()`). */
  reservations?: ReservationOptions
  /** What grows: automatic windows of the sampling heap profiler, its interval and the pause it may cost (docs/leaks.md). */
  leaks?: LeakOptions
}

/** The controller's events: the pressure controller's, and `'leak'` (an automatic window found growth). */
export type ControllerEventMap = ControllerEvents & { leak: [LeakReport] }

const EVENT_NAMES: readonly (keyof ControllerEventMap)[] = ['sample', 'level', 'error', 'leak']

const OPTION_KEYS: readonly (keyof ControllerOptions & string)[] = [
  ...PRESSURE_OPTION_KEYS,
  ...optionKeys<Omit<ControllerOptions, keyof PressureOptions>>({
    cachePolicy: true,
    regrowMs: true,
    shed: true,
    emergency: true,
    caches: true,
    reservations: true,
    leaks: true,
  }),
]

/** What `configure()` changes on a live controller: the level rules, the poll, the cache policy and regrowth. */
export interface ControllerTuning extends PressureTuning {
  /** Merged over the policy in force; the caches are resized to it at once. */
  cachePolicy?: CachePolicyOptions
  regrowMs?: number
}

const CONFIGURE_KEYS: readonly (keyof ControllerTuning & string)[] = [
  ...TUNING_KEYS,
  ...optionKeys<Omit<ControllerTuning, keyof PressureTuning>>({ cachePolicy: true, regrowMs: true }),
]
const CACHE_OPTION_KEYS = optionKeys<CacheOptions>({ budget: true })

/**
 * The controller users hold: pressure levels plus everything that reacts to them.
 * The first sample is taken by the base constructor; each subsystem starts from `core.level`,
 * so a controller built under pressure has its caches, flags and admission at that level as
 * soon as `createController()` returns.
 */
export class Controller extends PressureController {
  /** The cache registry: managed caches that shrink with pressure. */
  readonly caches: CacheRegistry
  /** Load shedding by priority. */
  readonly shed: Shedder
  /** Feature flags that switch off at a level. */
  readonly features: FeatureFlags
  /** Background tasks that pause under pressure. */
  readonly tasks: TaskScheduler
  /** Values that scale with the level. */
  readonly limits: Limits
  /** The reservation ledger: its lines per priority, `stats()` and the live reservations. */
  readonly reservations: Reservations
  // The same objects as `caches` and `reservations`, as the composition root uses them.
  readonly #registry: LevelCacheRegistry
  readonly #ledger: ReservationLedger
  readonly #actions: LevelActions
  readonly #shutdown: Shutdown
  readonly #leaks: LeakFinder

  constructor(options: ControllerOptions = {}) {
    const { cachePolicy, regrowMs, shed, emergency, caches, reservations, leaks, ...pressure } =
      checkOptions<ControllerOptions>('createController', 'options', options, OPTION_KEYS)
    // The pressure controller fills the request with the core its subsystems are built from.
    const request = new CoreRequest(pressure)
    super(request as PressureOptions)
    try {
      const core = request.core
      this.caches = this.#registry = new LevelCacheRegistry(core, cachePolicy, regrowMs, budgetOf(core, caches))
      const reserve = (bytes: number, o?: ReserveOptions): Reservation => this.reserve(bytes, o)
      const shedder = new PriorityShedder(core, shed, {
        reserve,
        middleware: (own) => shedMiddleware({ shed: own, report: core.report, reserve }),
      })
      this.shed = shedder
      this.reservations = this.#ledger = ledgerOf(
        core,
        reservations,
        () => this.thresholds,
        shedder,
        this.#registry.room,
      )
      this.features = new FlagRegistry(core)
      this.tasks = new TaskRegistry(core)
      this.limits = new LevelLimits(core)
      this.#actions = new LevelActions(core, emergency)
      this.#shutdown = new Shutdown(core, () => this.close())
      this.#leaks = createLeaks(leakHost(core, this), leaks)
    } catch (error) {
      // Bad subsystem options: the sampler is running already; a controller nobody holds must not keep it.
      this.close()
      throw error
    }
  }

  /** What grows: windows of V8's sampling heap profiler that name the allocation sites that keep growing (docs/leaks.md). */
  get leaks(): Leaks {
    return this.#leaks
  }

  /** Listens to `'sample'`, `'level'`, `'error'` or `'leak'`. A listener that throws is reported on `'error'`. */
  override on<E extends keyof ControllerEventMap>(event: E, fn: (...args: ControllerEventMap[E]) => void): this {
    if (checkEvent('on', event) === 'leak') this.#leaks.on(checkFunction('on', 'argument `fn`', fn))
    else super.on(event as keyof ControllerEvents, fn as never)
    return this
  }

  /** As `on`, for the next event only. */
  override once<E extends keyof ControllerEventMap>(event: E, fn: (...args: ControllerEventMap[E]) => void): this {
    if (checkEvent('once', event) === 'leak') this.#leaks.once(checkFunction('once', 'argument `fn`', fn))
    else super.once(event as keyof ControllerEvents, fn as never)
    return this
  }

  /** Removes one registration of `fn` (the latest), or every listener of `event` when `fn` is omitted. */
  override off<E extends keyof ControllerEventMap>(event: E, fn?: (...args: ControllerEventMap[E]) => void): this {
    if (checkEvent('off', event) === 'leak') this.#leaks.off(fn as ((report: LeakReport) => void) | undefined)
    else super.off(event as keyof ControllerEvents, fn as never)
    return this
  }

  /**
   * Changes options of the live controller: `thresholds`, `hysteresis`, `recoveryMs`,
   * `intervalMs`, `fastIntervalMs`, `cachePolicy` and `regrowMs`. Each is checked as at
   * construction, merged over what is in force (a partial `thresholds` or `cachePolicy` keeps the
   * rest); a bad value or an unknown key throws and changes nothing. The next sample uses the new
   * level rules; a new cache policy resizes the caches at once.
   */
  override configure(options: ControllerTuning): void {
    const { cachePolicy, regrowMs, ...tuning } = checkOptions<ControllerTuning>(
      'configure',
      'options',
      options,
      CONFIGURE_KEYS,
    )
    // Every value is checked before anything changes: the caches' part first, then the level rules (which apply on success).
    const applyCaches = this.#registry.prepare('configure', { cachePolicy, regrowMs })
    super.configure(tuning)
    applyCaches()
  }

  /**
   * Reserves `bytes` for work about to allocate them, counted against the heap source (or
   * `source`) at once, and refused with a `ShedError` (reason `'memory'`) when they do not fit
   * below the line of `priority`, even with the room the caches can give back. Release it when
   * the work ends (`release()`, or `using`). See docs/reservations.md.
   */
  reserve(bytes: number, options?: ReserveOptions): Reservation {
    return this.#ledger.reserve(bytes, options)
  }

  /** Bytes live reservations add to their sources now (0 when none). */
  get reserved(): number {
    return this.#ledger.reserved
  }

  /**
   * Runs `fn` when the effective level rises to `level` or above it (or, with
   * `{ on: 'leave' }`, falls back below it). Fault-isolated; returns the unsubscribe function.
   */
  onLevel(level: ThresholdLevel, fn: LevelHook, options?: LevelHookOptions): () => void {
    return this.#actions.onLevel(level, fn, options)
  }

  /** Registers a hook run by `shutdown()` (and so on SIGINT/SIGTERM after `closeOnSignals()`); returns its remover. */
  onShutdown(fn: ShutdownHook, options?: ShutdownHookOptions): () => void {
    return this.#shutdown.add(fn, options)
  }

  /** Runs the shutdown hooks in order within `timeoutMs`, then closes the controller. Never rejects. */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#shutdown.run(options)
  }

  /**
   * On SIGINT/SIGTERM: runs the shutdown hooks (within `timeoutMs`), closes the controller, then
   * lets the process exit with the usual code (128 + the signal's number). Returns the function
   * that removes the handlers; `close()` removes them too.
   */
  closeOnSignals(options?: CloseOnSignalsOptions): () => void {
    return this.#shutdown.closeOnSignals(options)
  }
}

function checkEvent(where: string, event: unknown): keyof ControllerEventMap {
  return checkOneOf(where, 'argument `event`', event, EVENT_NAMES)
}

/**
 * What leaks reads from this controller: its clock and error channel, memory per kind from its own
 * sources (the `heap` and `rss` sources when it has them), the managed caches' bytes, its GC
 * pauses, its trend and level, and its samples.
 */
function leakHost(core: ControllerCore, controller: Controller): LeakHost {
  const names = new Set(core.readings.sources.map((s) => s.name))
  const read = (name: string): number | undefined => (names.has(name) ? core.readings.read(name)?.used : undefined)
  return {
    logger: core.logger,
    now: () => core.now(),
    report: core.report,
    memory: () => {
      // At checkpoints only: one process.memoryUsage() for what the sources do not say.
      const usage = process.memoryUsage()
      return {
        heap: read('heap') ?? usage.heapUsed,
        heapCommitted: usage.heapTotal,
        external: usage.external,
        rss: read('rss') ?? usage.rss,
        caches: cacheBytes(controller.caches),
      }
    },
    fullGcs: core.fullGcs,
    trend: () => controller.trend(),
    get level() {
      return controller.level
    },
    onSample: (fn) => core.onSample(fn),
    onClose: (fn) => core.onClose(fn),
  }
}

/** Bytes all managed caches hold (NaN when their stats cannot be read: that kind's growth then reads 0). */
function cacheBytes(caches: CacheRegistry): number {
  try {
    let bytes = 0
    for (const stats of caches.stats()) bytes += stats.bytes
    return bytes
  } catch {
    return NaN
  }
}

/** The cache budget in bytes (Infinity without one); a ratio is taken of the heap source's limit. */
function budgetOf(core: ControllerCore, value: unknown): number {
  const { budget } = checkOptions<CacheOptions>('createController', 'option `caches`', value, CACHE_OPTION_KEYS)
  const names = core.readings.sources.map((s) => s.name)
  const heap = names.includes('heap') ? 'heap' : names[0]!
  return resolveBudget('createController', budget, () => core.readings.read(heap)?.limit)
}

function ledgerOf(
  core: ControllerCore,
  value: unknown,
  thresholds: () => Readonly<Thresholds>,
  shed: PriorityShedder<unknown>,
  room: CacheRoom,
): ReservationLedger {
  const options = resolveReservationOptions(
    value,
    core.readings.sources.map((s) => s.name),
  )
  // Recomputed when `configure()` has replaced the thresholds the lines come from.
  let from = thresholds()
  let lines = reservationLines(shed.admission, from)
  return new ReservationLedger(core, {
    lines: () => {
      const now = thresholds()
      if (now !== from) lines = reservationLines(shed.admission, (from = now))
      return lines
    },
    options,
    reclaimable: () => room.reclaimable(),
    reclaim: (bytes) => room.reclaim(bytes),
    refuse: (priority) => shed.refuseMemory(priority),
  })
}

/** Builds a controller; every option and its default: docs/pressure.md#options-and-defaults. */
export function createController(options: ControllerOptions = {}): Controller {
  return new Controller(options)
}
