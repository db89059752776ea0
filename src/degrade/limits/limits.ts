import type { ControllerCore } from '../../pressure/core.js'
import { inBatches } from './batches.js'
import { parsePage, type Page, type PageInput, type PageOptions } from './page.js'
import { LevelScaledValue, resolveLevelValues, type LevelValues, type ScaledValue } from './scaled-value.js'
import { withTimeout } from './timeout.js'

/**
 * Limits that tighten with memory pressure: page sizes, batch sizes, timeouts. Reach it as
 * `pressure.limits`.
 */
export interface Limits {
  /**
   * A number per level, read through `value` for the effective level now. `normal` is required;
   * a missing level takes the value of the level below it (`{ normal: 100, critical: 20 }` is
   * 100 at warning, 20 at emergency). Every value must be a finite number.
   */
  scale(values: LevelValues): ScaledValue
  /**
   * Parses `{ take, skip }` from a client (strings from a query string included, or a
   * `URLSearchParams`, where a repeated parameter is refused like any malformed one) and clamps
   * `take` to `max`, which may be a scaled value so pages shrink under pressure. Bad client input
   * throws a `PageError` (a RangeError with `statusCode` 400); bad options throw a TypeError or
   * RangeError without one.
   */
  page(input: PageInput | URLSearchParams | undefined | null, options: PageOptions): Page
  /** @deprecated Since 0.2.0: the same function as `import { withTimeout } from 'heapguard'`. To be removed in 1.0. */
  readonly withTimeout: typeof withTimeout
  /** @deprecated Since 0.2.0: the same function as `import { inBatches } from 'heapguard'`. To be removed in 1.0. */
  readonly inBatches: typeof inBatches
}

/** The controller's `Limits`: scaled values read the level the controller applies. */
export class LevelLimits implements Limits {
  readonly #core: ControllerCore

  constructor(core: ControllerCore) {
    this.#core = core
  }

  scale(values: LevelValues): ScaledValue {
    return new LevelScaledValue(this.#core, resolveLevelValues('limits.scale', values))
  }

  page(input: PageInput | URLSearchParams | undefined | null, options: PageOptions): Page {
    return parsePage(input, options)
  }

  readonly withTimeout = withTimeout

  readonly inBatches = inBatches
}
