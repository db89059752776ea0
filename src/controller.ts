import { controllerCore, PressureController } from './pressure/controller.js'
import { PRESSURE_OPTION_KEYS, type PressureOptions } from './pressure/options.js'
import { resolveBudget } from './caches/pool.js'
import {
  LevelCacheRegistry,
  type CacheOptions,
  type CachePolicyOptions,
  type CacheRegistry,
  type CacheRoom,
} from './caches/registry.js'
import { TUNING_KEYS, type PressureTuning } from './pressure/tuning.js'
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
import { checkOptions, optionKeys } from './util/validate.js'
import type { ControllerCore } from './pressure/core.js'
import type { Thresholds } from './pressure/types.js'

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
}

const OPTION_KEYS: readonly (keyof ControllerOptions & string)[] = [
  ...PRESSURE_OPTION_KEYS,
  ...optionKeys<Omit<ControllerOptions, keyof PressureOptions>>({
    cachePolicy: true,
    regrowMs: true,
    shed: true,
    emergency: true,
    caches: true,
    reservations: true,
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

  constructor(options: ControllerOptions = {}) {
    const { cachePolicy, regrowMs, shed, emergency, caches, reservations, ...pressure } =
      checkOptions<ControllerOptions>('createController', 'options', options, OPTION_KEYS)
    super(pressure)
    try {
      const core = controllerCore(this)
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
    } catch (error) {
      // Bad subsystem options: the sampler is running already; a controller nobody holds must not keep it.
      this.close()
      throw error
    }
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
