import type { ControllerCore } from '../../pressure/core.js'
import { inBatches } from './batches.js'
import { parsePage, type Page, type PageInput, type PageOptions } from './page.js'
import { createScaledValue, resolveLevelValues, type LevelValues, type ScaledValue } from './scaled-value.js'
import { withTimeout } from './timeout.js'

/** Builds the controller's `limits`; the constructor is private to this module. */
export let createLimits: (core: ControllerCore) => Limits

/**
 * Limits that tighten with memory pressure: page sizes, batch sizes, timeouts. Reach it as
 * `pressure.limits`.
 */
export class Limits {
  readonly #core: ControllerCore

  static {
    createLimits = (core) => new Limits(core)
  }

  private constructor(core: ControllerCore) {
    this.#core = core
  }

  /**
   * A number per level, read through `value` for the effective level now. `normal` is required;
   * a missing level takes the value of the level below it (`{ normal: 100, critical: 20 }` is
   * 100 at warning, 20 at emergency). Every value must be a finite number.
   */
  scale(values: LevelValues): ScaledValue {
    return createScaledValue(this.#core, resolveLevelValues('limits.scale', values))
  }

  /**
   * Parses `{ take, skip }` from a client (strings from a query string included) and clamps
   * `take` to `max`, which may be a scaled value so pages shrink under pressure. Bad client input
   * throws a `PageError` (a RangeError with `statusCode` 400); bad options throw a TypeError or
   * RangeError without one.
   */
  page(input: PageInput | undefined | null, options: PageOptions): Page {
    return parsePage(input, options)
  }

  /** The same as the standalone `withTimeout()`. */
  readonly withTimeout = withTimeout

  /** The same as the standalone `inBatches()`. */
  readonly inBatches = inBatches
}
