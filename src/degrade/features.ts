import type { ControllerCore } from '../pressure/core.js'
import { THRESHOLD_LEVELS, type ThresholdLevel } from '../pressure/levels.js'
import { checkOneOf, checkOptions, checkString, describe } from '../util/validate.js'
import { warnOnce } from '../util/warn-once.js'
import { LevelFlag, type Flag, type FlagInfo, type FlagOverride } from './flag.js'

export type { Flag, FlagChange, FlagInfo, FlagListener, FlagOverride } from './flag.js'

export interface FlagOptions {
  /** The flag is off at this level and above. Default `'critical'`. */
  offAt?: ThresholdLevel
}

/**
 * Feature flags that follow the controller's EFFECTIVE level, so they inherit its hysteresis,
 * staged recovery and `force()`. Reach it as `pressure.features`.
 */
export interface FeatureFlags {
  /**
   * Declares a flag, or returns the one already declared under `name`. Declaring a name again is
   * how module reloads and several modules share a flag: the same flag object comes back. When
   * the new `offAt` differs, the latest declaration wins and a warning is emitted, once per flag name.
   */
  flag(name: string, options?: FlagOptions): Flag
  /**
   * Whether the flag `name` is on now. An undeclared name throws a RangeError rather than
   * answering false: a typo would otherwise switch a feature off for good, silently.
   */
  enabled(name: string): boolean
  /** The flag declared under `name`, or undefined. */
  get(name: string): Flag | undefined
  /** The operator's override by name (for an admin endpoint): `'on'`, `'off'` or `null` to follow pressure. */
  override(name: string, state: FlagOverride): void
  /** Every flag with its state, in declaration order. */
  list(): FlagInfo[]
}

/** The controller's `FeatureFlags`: its flags follow the level the controller applies. */
export class FlagRegistry implements FeatureFlags {
  readonly #core: ControllerCore
  readonly #flags = new Map<string, LevelFlag>()

  constructor(core: ControllerCore) {
    this.#core = core
    core.onLevelChange(() => {
      for (const flag of this.#flags.values()) flag.sync()
    })
    // Observe mode: which flags a change of the effective level would switch.
    core.onPreview(({ from, to }) => {
      const actions: string[] = []
      for (const flag of this.#flags.values()) {
        const after = flag.enabledAt(to)
        if (after !== flag.enabledAt(from)) {
          actions.push(`flag ${JSON.stringify(flag.name)} would switch ${after ? 'on' : 'off'}`)
        }
      }
      return actions
    })
    core.onClose(() => {
      for (const flag of this.#flags.values()) flag.detach()
    })
  }

  flag(name: string, options: FlagOptions = {}): Flag {
    checkString('features.flag', 'argument `name`', name)
    const { offAt = 'critical' } = checkOptions<FlagOptions>('features.flag', 'options', options, ['offAt'])
    checkOneOf('features.flag', 'option `offAt`', offAt, THRESHOLD_LEVELS)
    const existing = this.#flags.get(name)
    if (existing !== undefined) {
      if (existing.offAt !== offAt) {
        warnOnce(
          'HEAPGUARD_FLAG_REDECLARED',
          `heapguard: feature flag "${name}" declared again with offAt '${offAt}' (was '${existing.offAt}'); the latest declaration wins`,
          name,
        )
        existing.redeclare(offAt)
      }
      return existing
    }
    const flag = new LevelFlag(this.#core, name, offAt)
    this.#flags.set(name, flag)
    return flag
  }

  enabled(name: string): boolean {
    const flag = this.#flags.get(name)
    if (flag === undefined) throw this.#unknown('features.enabled', name)
    return flag.enabled
  }

  get(name: string): Flag | undefined {
    return this.#flags.get(name)
  }

  override(name: string, state: FlagOverride): void {
    const flag = this.#flags.get(name)
    if (flag === undefined) throw this.#unknown('features.override', name)
    flag.override(state)
  }

  list(): FlagInfo[] {
    return [...this.#flags.values()].map((flag) => flag.info())
  }

  #unknown(where: string, name: unknown): RangeError {
    checkString(where, 'argument `name`', name)
    const known = [...this.#flags.keys()].map((k) => JSON.stringify(k)).join(', ') || 'none'
    return new RangeError(
      `${where}: no feature flag named ${describe(name)} (declare it with pressure.features.flag() first; known: ${known})`,
    )
  }
}
