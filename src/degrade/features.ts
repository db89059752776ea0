import type { ControllerCore } from '../pressure/core.js'
import { levelRank, THRESHOLD_LEVELS, type Level, type ThresholdLevel } from '../pressure/levels.js'
import { checkFunction, checkOneOf, checkOptions, checkString, describe } from '../util/validate.js'
import { warnOnce } from '../util/warn-once.js'
import { callSafely } from '../util/safe-call.js'

/** An operator's decision that wins over pressure: force on, force off, or `null` to follow pressure. */
export type FlagOverride = 'on' | 'off' | null

export interface FlagOptions {
  /** The flag is off at this level and above. Default `'critical'`. */
  offAt?: ThresholdLevel
}

/** What a flag's `'change'` listeners receive. */
export interface FlagChange {
  name: string
  enabled: boolean
  /** The effective pressure level when the change happened. */
  level: Level
  override: FlagOverride
}

/** One row of `pressure.features.list()` (the dashboard and the metrics read this shape). */
export interface FlagInfo {
  name: string
  enabled: boolean
  offAt: ThresholdLevel
  override: FlagOverride
}

export type FlagListener = (change: FlagChange) => void

const OVERRIDES: readonly ('on' | 'off')[] = ['on', 'off']

// The registry's handles on a flag, kept off its public surface: a user calling them would
// rewrite `offAt`, or drop every listener.
const redeclare = Symbol('heapguard.flag.redeclare')
const sync = Symbol('heapguard.flag.sync')
const detach = Symbol('heapguard.flag.detach')

/**
 * A switch that turns off under memory pressure. `enabled` is a plain field, recomputed when the
 * effective level changes, so it can be read on every request. Created by `pressure.features.flag()`.
 */
export class Flag {
  readonly name: string
  readonly #core: ControllerCore
  readonly #listeners = new Set<FlagListener>()
  #offAt: ThresholdLevel
  #override: FlagOverride = null
  #enabled: boolean

  /** @internal use `pressure.features.flag()` */
  constructor(core: ControllerCore, name: string, offAt: ThresholdLevel) {
    this.#core = core
    this.name = name
    this.#offAt = offAt
    this.#enabled = this.#compute(core.level)
  }

  /** True when the feature may run now. */
  get enabled(): boolean {
    return this.#enabled
  }

  /** The level from which the flag is off. */
  get offAt(): ThresholdLevel {
    return this.#offAt
  }

  /** The operator's override, or null when the flag follows pressure. */
  get overridden(): FlagOverride {
    return this.#override
  }

  /**
   * Forces the flag on (`'on'`) or off (`'off'`) whatever the pressure, or makes it follow
   * pressure again (`null`). Emits `'change'` when `enabled` changes.
   */
  override(state: FlagOverride): void {
    if (state !== null) checkOneOf(`flag "${this.name}" override`, 'argument `state`', state, OVERRIDES)
    this.#override = state
    this[sync]()
  }

  /**
   * Listens for changes of `enabled` (edges only). Listeners run synchronously inside the
   * `sample()`/`force()` that changed the level; one that throws or rejects is reported on the
   * controller's `'error'` and the others still run.
   */
  on(event: 'change', fn: FlagListener): this {
    checkOneOf('flag.on', 'argument `event`', event, ['change'])
    this.#listeners.add(checkFunction<FlagListener>('flag.on', 'argument `fn`', fn))
    return this
  }

  /** Removes a `'change'` listener (every listener when `fn` is omitted). */
  off(event: 'change', fn?: FlagListener): this {
    checkOneOf('flag.off', 'argument `event`', event, ['change'])
    if (fn === undefined) this.#listeners.clear()
    else this.#listeners.delete(fn)
    return this
  }

  info(): FlagInfo {
    return { name: this.name, enabled: this.#enabled, offAt: this.#offAt, override: this.#override }
  }

  /** @internal recomputes `enabled` from the controller's level; the registry calls it on level changes. */
  [sync](): void {
    const enabled = this.#compute(this.#core.level)
    if (enabled === this.#enabled) return
    this.#enabled = enabled
    const change: FlagChange = { name: this.name, enabled, level: this.#core.level, override: this.#override }
    for (const fn of [...this.#listeners]) callSafely(this.#core, fn, change)
  }

  /** @internal */
  [redeclare](offAt: ThresholdLevel): void {
    this.#offAt = offAt
    this[sync]()
  }

  /** @internal */
  [detach](): void {
    this.#listeners.clear()
  }

  #compute(level: Level): boolean {
    if (this.#override !== null) return this.#override === 'on'
    return levelRank(level) < levelRank(this.#offAt)
  }
}

/**
 * Feature flags that follow the controller's EFFECTIVE level, so they inherit its hysteresis,
 * staged recovery and `force()`. Reach it as `pressure.features`.
 */
export class FeatureFlags {
  readonly #core: ControllerCore
  readonly #flags = new Map<string, Flag>()

  constructor(core: ControllerCore) {
    this.#core = core
    core.onLevelChange(() => {
      for (const flag of this.#flags.values()) flag[sync]()
    })
    core.onClose(() => {
      for (const flag of this.#flags.values()) flag[detach]()
    })
  }

  /**
   * Declares a flag, or returns the one already declared under `name`. Declaring a name again is
   * how module reloads and several modules share a flag: the same flag object comes back. When
   * the new `offAt` differs, the latest declaration wins and a warning is emitted, once per flag name.
   */
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
        existing[redeclare](offAt)
      }
      return existing
    }
    const flag = new Flag(this.#core, name, offAt)
    this.#flags.set(name, flag)
    return flag
  }

  /**
   * Whether the flag `name` is on now. An undeclared name throws a RangeError rather than
   * answering false: a typo would otherwise switch a feature off for good, silently.
   */
  enabled(name: string): boolean {
    const flag = this.#flags.get(name)
    if (flag === undefined) throw this.#unknown('features.enabled', name)
    return flag.enabled
  }

  /** The flag declared under `name`, or undefined. */
  get(name: string): Flag | undefined {
    return this.#flags.get(name)
  }

  /** The operator's override by name (for an admin endpoint): `'on'`, `'off'` or `null` to follow pressure. */
  override(name: string, state: FlagOverride): void {
    const flag = this.#flags.get(name)
    if (flag === undefined) throw this.#unknown('features.override', name)
    flag.override(state)
  }

  /** Every flag with its state, in declaration order. */
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
