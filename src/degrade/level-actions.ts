import type { ControllerCore } from '../pressure/core.js'
import { levelRank, THRESHOLD_LEVELS, type ThresholdLevel } from '../pressure/levels.js'
import type { LevelChange } from '../pressure/types.js'
import { checkFunction, checkOneOf, checkOptions } from '../util/validate.js'
import {
  armHeapSnapshots,
  collectGarbage,
  gcExposed,
  resolveEmergencyOptions,
  warnGcUnavailable,
  type EmergencyOptions,
} from './emergency-actions.js'
import { callSafely } from '../util/safe-call.js'

export type { EmergencyOptions } from './emergency-actions.js'

/** A level hook; it receives the change that crossed the level. May be async (rejections are reported). */
export type LevelHook = (change: LevelChange) => unknown

export interface LevelHookOptions {
  /**
   * `'enter'` (default): run when the effective level rises to `level` or above it from below.
   * `'leave'`: run when it falls back below `level`.
   */
  on?: 'enter' | 'leave'
}

interface Registered {
  rank: number
  enter: boolean
  fn: LevelHook
  /** What observe mode logs when the hook would run. */
  preview: string
}

/**
 * Hooks on level crossings, and the opt-in emergency actions (GC, heap snapshot near the limit).
 * A level is treated as a threshold: a jump from `normal` to `emergency` enters `warning`,
 * `critical` and `emergency`, and a step from `emergency` to `critical` leaves only `emergency`.
 */
export class LevelActions {
  readonly #core: ControllerCore
  #hooks: Registered[] = []
  #gcImmediate: NodeJS.Immediate | undefined

  constructor(core: ControllerCore, options?: EmergencyOptions) {
    this.#core = core
    const { gcAt, heapSnapshots } = resolveEmergencyOptions(options)
    // In delivery order, not at the moment of change: a hook that calls force() must not make the
    // next hooks see crossings out of order.
    core.onLevelEvent((change) => this.#dispatch(change))
    // Observe mode: hooks follow the applied level, so they stay quiet; say which would have run.
    core.onPreview((change) => this.#crossedBy(change).map((hook) => hook.preview))
    core.onClose(() => {
      clearImmediate(this.#gcImmediate)
      this.#hooks = []
    })
    if (heapSnapshots > 0) armHeapSnapshots(heapSnapshots)
    if (gcAt !== null) {
      if (!gcExposed()) warnGcUnavailable()
      this.#add(gcAt, () => this.#scheduleGc(), 'enter', 'a full garbage collection would run (emergency.gc)')
      // The first sample came before this hook existed: a controller built at that level collects too.
      if (levelRank(core.level) >= levelRank(gcAt)) this.#scheduleGc()
    }
  }

  /**
   * Runs `fn` when the effective level reaches `level` (or, with `{ on: 'leave' }`, falls back
   * below it). Hooks run synchronously inside the `sample()`/`force()` that changed the level,
   * after caches and flags have followed it and before `'level'` listeners, in registration
   * order; one that throws or rejects is reported on `'error'`. Returns the unsubscribe function.
   * For "back to normal", use `onLevel('warning', fn, { on: 'leave' })`.
   */
  onLevel(level: ThresholdLevel, fn: LevelHook, options: LevelHookOptions = {}): () => void {
    checkOneOf('onLevel', 'argument `level`', level, THRESHOLD_LEVELS)
    checkFunction('onLevel', 'argument `fn`', fn)
    const { on = 'enter' } = checkOptions<LevelHookOptions>('onLevel', 'options', options, ['on'])
    checkOneOf('onLevel', 'option `on`', on, ['enter', 'leave'])
    return this.#add(level, fn, on, `onLevel('${level}', { on: '${on}' }) hook would run`)
  }

  #add(level: ThresholdLevel, fn: LevelHook, on: 'enter' | 'leave', preview: string): () => void {
    const hook: Registered = { rank: levelRank(level), enter: on === 'enter', fn, preview }
    this.#hooks.push(hook)
    return () => {
      this.#hooks = this.#hooks.filter((h) => h !== hook)
    }
  }

  #dispatch(change: LevelChange): void {
    // A copy (from filter): a hook may unsubscribe itself or add another.
    for (const hook of this.#crossedBy(change)) callSafely(this.#core, hook.fn, change)
  }

  /** The hooks whose level `change` crosses in their direction. */
  #crossedBy(change: LevelChange): Registered[] {
    const from = levelRank(change.from)
    const to = levelRank(change.to)
    return this.#hooks.filter((hook) =>
      hook.enter ? from < hook.rank && to >= hook.rank : from >= hook.rank && to < hook.rank,
    )
  }

  /**
   * On the next turn: the level change first reaches everyone (caches drop entries), then the GC
   * frees them. Not unref'd: an unref'd immediate waits for something else to wake the loop (up to
   * a poll period or more); this one runs once, and close() clears it.
   */
  #scheduleGc(): void {
    if (this.#gcImmediate !== undefined) return
    this.#gcImmediate = setImmediate(() => {
      this.#gcImmediate = undefined
      if (this.#core.closed) return
      try {
        const started = performance.now()
        const freed = collectGarbage()
        if (freed === null) return warnGcUnavailable()
        const ms = performance.now() - started
        const { logger } = this.#core
        logger.info?.call(
          logger,
          `heapguard: emergency gc freed ${(freed / 1048576).toFixed(1)} MiB in ${ms.toFixed(0)} ms`,
        )
      } catch (error) {
        this.#core.report(error)
      }
    })
  }
}
