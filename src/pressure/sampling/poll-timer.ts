/** How close to `warning` (in ratio) the fast polling starts. */
const FAST_ZONE = 0.1

/** True near `warning` or above it, where the poll is fast. */
export function inFastZone(ratio: number, thresholds: { warning: number }): boolean {
  return ratio >= thresholds.warning - FAST_ZONE
}

/** The poll period for a ratio: fast near or above warning, slow well below it. */
export function pollDelay(
  ratio: number,
  {
    intervalMs,
    fastIntervalMs,
    thresholds,
  }: { intervalMs: number; fastIntervalMs: number; thresholds: { warning: number } },
): number {
  return inFastZone(ratio, thresholds) ? fastIntervalMs : intervalMs
}

/**
 * The sampler's poll: one unref'd timer, re-armed only when its period changes (the controller
 * polls faster near `warning`). A tick that changed the period has armed a new timer already;
 * otherwise the same timer is restarted with `refresh()`, which allocates nothing.
 */
export class PollTimer {
  readonly #tick: () => void
  #timer: NodeJS.Timeout | undefined
  #delay = 0

  constructor(tick: () => void) {
    this.#tick = tick
  }

  get running(): boolean {
    return this.#timer !== undefined
  }

  /** Arms the timer for `delay` ms; one already armed with that delay is left alone. */
  schedule(delay: number): void {
    if (this.#timer !== undefined && delay === this.#delay) return
    clearTimeout(this.#timer)
    this.#delay = delay
    this.#timer = setTimeout(this.#fire, delay)
    this.#timer.unref()
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  readonly #fire = (): void => {
    const fired = this.#timer
    if (fired === undefined) return
    this.#tick()
    if (this.#timer === fired) fired.refresh()
  }
}
