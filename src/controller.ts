import { PressureController } from './pressure/controller.js'
import { PRESSURE_OPTION_KEYS, type PressureOptions } from './pressure/options.js'
import { CacheRegistry, type CachePolicyOptions } from './caches/registry.js'
import { Shedder, type ShedOptions } from './degrade/shed.js'
import { FeatureFlags } from './degrade/features.js'
import { TaskScheduler } from './degrade/tasks.js'
import { Limits } from './degrade/limits.js'
import { LevelActions, type EmergencyOptions } from './degrade/level-actions.js'
import { checkOptions } from './validate.js'

export interface ControllerOptions extends PressureOptions {
  /** Size multipliers per level and cache priority, merged over the defaults. */
  cachePolicy?: CachePolicyOptions
  /** Admission table, concurrency limits and Retry-After for load shedding. */
  shed?: ShedOptions
  /** Opt-in emergency actions (GC, heap snapshot near the limit). */
  emergency?: EmergencyOptions
}

const OPTION_KEYS = [...PRESSURE_OPTION_KEYS, 'cachePolicy', 'shed', 'emergency'] as const

/**
 * The controller users hold: pressure levels plus everything that reacts to them.
 * Subsystems are built before the first sample, so they see the level from the start.
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
  readonly #actions: LevelActions

  constructor(options: ControllerOptions = {}) {
    const { cachePolicy, shed, emergency, ...pressure } = checkOptions<ControllerOptions>(
      'createController',
      'options',
      options,
      OPTION_KEYS,
    )
    super(pressure)
    this.caches = new CacheRegistry(this.core, cachePolicy)
    this.shed = new Shedder(this.core, shed)
    this.features = new FeatureFlags(this.core)
    this.tasks = new TaskScheduler(this.core)
    this.limits = new Limits(this.core)
    this.#actions = new LevelActions(this.core, emergency)
    this.start()
  }

  /**
   * Runs `fn` each time the effective level enters `level` (or, with `{ on: 'leave' }`, leaves it).
   * Returns the unsubscribe function.
   */
  onLevel(...args: Parameters<LevelActions['onLevel']>): ReturnType<LevelActions['onLevel']> {
    return this.#actions.onLevel(...args)
  }
}

/** Builds a controller; see the README for every option and its default. */
export function createController(options: ControllerOptions = {}): Controller {
  return new Controller(options)
}
