import type { LevelValues } from '../degrade/limits/scaled-value.js'
import type { Priority } from '../degrade/shed/priority.js'
import type { Level } from '../pressure/levels.js'
import type { LevelChange } from '../pressure/types.js'
import { checkMethods, describe } from '../util/validate.js'

/**
 * What the database adapters use of a controller: only its public API, so that an adapter from one
 * copy of heapguard serves a controller built by another (a Next.js route bundle and the
 * instrumentation bundle each carry one). A controller from `createController()` or
 * `sharedController()` is one.
 */
export interface DbTarget {
  /** The effective level. */
  readonly level: Level
  /** `pressure.reserve(bytes, { priority })`: throws a `ShedError` (reason `'memory'`) when the bytes do not fit. */
  reserve(bytes: number, options?: { priority?: Priority }): { release(): void }
  readonly limits: { scale(values: LevelValues): { readonly value: number } }
  /** Reports a failure on the controller's `'error'` event (or its logger); never throws. */
  readonly report: (error: unknown) => void
  on(event: 'level', fn: (change: LevelChange) => void): unknown
  on(event: 'sample', fn: () => void): unknown
  off(event: 'level', fn: (change: LevelChange) => void): unknown
  off(event: 'sample', fn: () => void): unknown
}

/** Rejects anything that is not a controller at the call, naming the API. */
export function checkTarget(where: string, value: unknown): DbTarget {
  const target = checkMethods<DbTarget>(
    where,
    'argument `pressure`',
    value,
    ['reserve', 'report', 'on', 'off'],
    'be a controller from createController() or sharedController()',
  )
  if (typeof (target.limits as { scale?: unknown } | undefined)?.scale !== 'function') {
    throw new TypeError(
      `${where}: argument \`pressure\` must be a controller from createController() or sharedController(), got ${describe(value)} without limits.scale()`,
    )
  }
  return target
}
