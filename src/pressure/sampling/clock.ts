import { describe, messageOf } from '../../util/validate.js'

/**
 * The controller's clock, guarded: a clock that throws or returns garbage is reported and the
 * last good time is used, so a broken `now` option never stops sampling.
 */
export class SafeClock {
  readonly #now: () => number
  readonly #report: (error: unknown) => void
  #last: number

  /** `now` was read once at construction by the options check: its first value is good. */
  constructor(now: () => number, report: (error: unknown) => void) {
    this.#now = now
    this.#report = report
    this.#last = now()
  }

  readonly now = (): number => {
    let at: unknown
    try {
      at = this.#now()
    } catch (error) {
      this.#report(new Error(`heapguard: option \`now\` threw: ${messageOf(error)}`, { cause: error }))
      return this.#last
    }
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      this.#report(new Error(`heapguard: option \`now\` returned ${describe(at)}; the last good time is used`))
      return this.#last
    }
    return (this.#last = at)
  }
}
