import { checkOneOf } from '../../util/validate.js'
import type { Level } from '../levels.js'
import type { SubsystemHooks } from './subsystem-hooks.js'
import type { LevelChange, Logger } from '../types.js'

/** `'enforce'`: the subsystems apply the level. `'observe'`: they stay at `normal` and say what they would do. */
export type Mode = 'enforce' | 'observe'

export const MODES: readonly Mode[] = Object.freeze(['enforce', 'observe'])

/**
 * The rollout switch (contract §8): which level the subsystems APPLY. The controller's `level`
 * is always the measured (or forced) level, with its events and metrics; the applied level is
 * that level in enforce mode and `normal` in observe mode, so caches keep their capacity,
 * admission admits, flags stay on, tasks run and level hooks stay quiet while a team watches
 * what heapguard would do. Subsystems read the applied level as `core.level`.
 */
export class Rollout {
  #mode: Mode
  #applied: Level = 'normal'
  readonly #hooks: SubsystemHooks
  readonly #logger: Logger

  constructor(mode: Mode, hooks: SubsystemHooks, logger: Logger) {
    this.#mode = mode
    this.#hooks = hooks
    this.#logger = logger
  }

  get mode(): Mode {
    return this.#mode
  }

  /** The level the subsystems apply now. */
  get applied(): Level {
    return this.#applied
  }

  /**
   * Follows a change of the effective level: in enforce mode the applied level moves with it
   * and the change is returned for the state hooks; in observe mode the subsystems' previews of
   * what they would do are logged, once for this transition, and null is returned.
   */
  follow(change: LevelChange): LevelChange | null {
    if (this.#mode === 'enforce') {
      this.#applied = change.to
      return change
    }
    const prefix = `heapguard (observe mode): ${change.from} -> ${change.to}: `
    for (const action of this.#hooks.preview(change)) this.#log(prefix + action)
    return null
  }

  /**
   * Switches the mode; returns the change of the applied level this makes (to `effective` when
   * enforcing, to `normal` when observing), or null when the applied level stays.
   */
  switchTo(value: unknown, effective: Level, at: number, ratio: number): LevelChange | null {
    const mode = checkOneOf('pressure.mode', 'the value', value, MODES)
    if (mode === this.#mode) return null
    this.#mode = mode
    const to = mode === 'enforce' ? effective : 'normal'
    this.#log(`heapguard: mode ${mode === 'enforce' ? 'observe' : 'enforce'} -> ${mode} (subsystems now apply ${to})`)
    if (to === this.#applied) return null
    const change: LevelChange = {
      from: this.#applied,
      to,
      at,
      ratio,
      forced: false,
      reason: `mode ${mode}: the subsystems apply ${to}`,
      cause: { kind: 'mode' },
    }
    this.#applied = to
    return change
  }

  /** At `info`, or `warn` for a logger without one: what observe mode reports is what it is for. */
  #log(line: string): void {
    const logger = this.#logger
    const write = logger.info ?? logger.warn
    try {
      write?.call(logger, line)
    } catch {
      // a broken logger must not stop a level change
    }
  }
}
