import { checkNumber, checkOneOf, checkOptions, MAX_TIMER_MS } from '../../util/validate.js'
import { LEVELS, type Level } from '../levels.js'

export interface ForceOptions {
  /** Hold the forced level for this long (ms, by the controller's clock), then release it. */
  forMs?: number
}

const FORCE_OPTION_KEYS: readonly (keyof ForceOptions & string)[] = ['forMs']

/** Checks the arguments of `force(level, options)`; returns `forMs`. */
export function checkForce(level: unknown, options: unknown): number | undefined {
  checkOneOf('force', 'argument `level`', level, LEVELS)
  const { forMs } = checkOptions<ForceOptions>('force', 'options', options, FORCE_OPTION_KEYS)
  return forMs === undefined
    ? undefined
    : checkNumber('force', 'option `forMs`', forMs, { above: 0, max: MAX_TIMER_MS })
}

/**
 * The operator's forced level (`force(level, { forMs })`) and its expiry. The controller's clock
 * decides when a hold ends (a sample at or past the deadline drops it); a real timer backs it
 * up, so a forced level still ends when nothing samples.
 */
export class ForcedLevel {
  readonly #now: () => number
  /** Called when the backing timer finds the deadline passed; the controller releases. */
  readonly #onExpire: () => void
  #level: Level | null = null
  #until: number | null = null
  #timer: NodeJS.Timeout | undefined

  constructor(now: () => number, onExpire: () => void) {
    this.#now = now
    this.#onExpire = onExpire
  }

  /** The level held, or null. */
  get level(): Level | null {
    return this.#level
  }

  /** Holds `level` from `at`, for `forMs` when given; replaces any earlier hold. */
  hold(level: Level, at: number, forMs: number | undefined): void {
    this.clear()
    this.#level = level
    if (forMs === undefined) return
    this.#until = at + forMs
    this.#arm(forMs)
  }

  /** True when a timed hold has reached its deadline by the controller's clock at `at`. */
  expiredAt(at: number): boolean {
    return this.#until !== null && at >= this.#until
  }

  clear(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#level = null
    this.#until = null
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#expire, Math.min(Math.max(ms, 1), MAX_TIMER_MS))
    this.#timer.unref()
  }

  readonly #expire = (): void => {
    this.#timer = undefined
    if (this.#until === null) return
    // Timers may fire a little before the clock reaches the deadline (libuv counts whole
    // milliseconds), and an injected clock need not follow real time at all: check again when
    // the rest should have passed.
    const left = this.#until - this.#now()
    if (left > 0) return this.#arm(left)
    this.#onExpire()
  }
}
