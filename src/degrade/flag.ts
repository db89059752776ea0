import type { ControllerCore } from '../pressure/core.js'
import { levelRank, type Level, type ThresholdLevel } from '../pressure/levels.js'
import { callSafely } from '../util/safe-call.js'
import { checkFunction, checkOneOf } from '../util/validate.js'

/** An operator's decision that wins over pressure: force on, force off, or `null` to follow pressure. */
export type FlagOverride = 'on' | 'off' | null

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

/**
 * A switch that turns off under memory pressure. `enabled` is a plain field, recomputed when the
 * effective level changes, so it can be read on every request. Created by `pressure.features.flag()`.
 */
export interface Flag {
  readonly name: string
  /** True when the feature may run now. */
  readonly enabled: boolean
  /** The level from which the flag is off. */
  readonly offAt: ThresholdLevel
  /** The operator's override, or null when the flag follows pressure. */
  readonly overridden: FlagOverride
  /**
   * Forces the flag on (`'on'`) or off (`'off'`) whatever the pressure, or makes it follow
   * pressure again (`null`). Emits `'change'` when `enabled` changes.
   */
  override(state: FlagOverride): void
  /**
   * Listens for changes of `enabled` (edges only). Listeners run synchronously inside the
   * `sample()`/`force()` that changed the level; one that throws or rejects is reported on the
   * controller's `'error'` and the others still run.
   */
  on(event: 'change', fn: FlagListener): this
  /** Removes a `'change'` listener (every listener when `fn` is omitted). */
  off(event: 'change', fn?: FlagListener): this
  info(): FlagInfo
}

/**
 * The flags `FlagRegistry` builds. Its own methods (`sync`, `enabledAt`, `redeclare`, `detach`)
 * are the registry's: a `Flag` as users hold it has none of them.
 */
export class LevelFlag implements Flag {
  readonly name: string
  readonly #core: ControllerCore
  readonly #listeners = new Set<FlagListener>()
  #offAt: ThresholdLevel
  #override: FlagOverride = null
  #enabled: boolean

  constructor(core: ControllerCore, name: string, offAt: ThresholdLevel) {
    this.#core = core
    this.name = name
    this.#offAt = offAt
    this.#enabled = this.#compute(core.level)
  }

  get enabled(): boolean {
    return this.#enabled
  }

  get offAt(): ThresholdLevel {
    return this.#offAt
  }

  get overridden(): FlagOverride {
    return this.#override
  }

  override(state: FlagOverride): void {
    if (state !== null) checkOneOf(`flag "${this.name}" override`, 'argument `state`', state, OVERRIDES)
    this.#override = state
    this.sync()
  }

  on(event: 'change', fn: FlagListener): this {
    checkOneOf('flag.on', 'argument `event`', event, ['change'])
    this.#listeners.add(checkFunction<FlagListener>('flag.on', 'argument `fn`', fn))
    return this
  }

  off(event: 'change', fn?: FlagListener): this {
    checkOneOf('flag.off', 'argument `event`', event, ['change'])
    if (fn === undefined) this.#listeners.clear()
    else this.#listeners.delete(fn)
    return this
  }

  info(): FlagInfo {
    return { name: this.name, enabled: this.#enabled, offAt: this.#offAt, override: this.#override }
  }

  /** Recomputes `enabled` from the controller's level; the registry calls it on level changes. */
  sync(): void {
    const enabled = this.#compute(this.#core.level)
    if (enabled === this.#enabled) return
    this.#enabled = enabled
    const change: FlagChange = { name: this.name, enabled, level: this.#core.level, override: this.#override }
    for (const fn of [...this.#listeners]) callSafely(this.#core, fn, change)
  }

  /** Whether the flag would be on at `level` (observe mode's preview). */
  enabledAt(level: Level): boolean {
    return this.#compute(level)
  }

  /** A second declaration with another `offAt`: the latest wins. */
  redeclare(offAt: ThresholdLevel): void {
    this.#offAt = offAt
    this.sync()
  }

  /** The controller closed: no listener is called again. */
  detach(): void {
    this.#listeners.clear()
  }

  #compute(level: Level): boolean {
    if (this.#override !== null) return this.#override === 'on'
    return levelRank(level) < levelRank(this.#offAt)
  }
}
