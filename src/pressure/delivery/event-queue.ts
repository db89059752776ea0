import type { LevelChange, Sample } from '../types.js'

/**
 * The most events one `sample()`/`force()`/`release()` call delivers. Listeners that keep
 * changing the level from inside a listener would otherwise loop forever.
 */
const MAX_EVENTS_PER_CALL = 1000

/**
 * An event waiting for delivery. A level change goes to the level hooks when it is applied
 * (always in enforce mode; a mode switch applies one of its own) and to `'level'` listeners when
 * the effective level changed.
 */
export type PendingEvent =
  { level: LevelChange; hooks: boolean; listeners: boolean; sample?: undefined } | { sample: Sample; level?: undefined }

/**
 * The controller's events in the order they happened. A level change made by a listener (say,
 * `force()` inside a `'level'` listener) takes effect at once but is delivered after the current
 * event has reached everyone, so every hook and listener sees the changes in order, each `from`
 * equal to the previous `to`.
 */
export class EventQueue {
  #pending: PendingEvent[] = []
  #flushing = false
  readonly #deliver: (event: PendingEvent) => void
  readonly #report: (error: unknown) => void

  constructor(deliver: (event: PendingEvent) => void, report: (error: unknown) => void) {
    this.#deliver = deliver
    this.#report = report
  }

  push(event: PendingEvent): void {
    this.#pending.push(event)
  }

  /** Delivers what is queued, synchronously; a flush up the stack (a listener's call) leaves it to that one. */
  flush(stopped: () => boolean): void {
    if (this.#flushing) return
    this.#flushing = true
    try {
      for (let i = 0; i < this.#pending.length && !stopped(); i++) {
        if (i === MAX_EVENTS_PER_CALL) {
          this.#report(
            new Error(
              `heapguard: listeners caused more than ${MAX_EVENTS_PER_CALL} events in one call (a listener that keeps changing the level?); the rest were dropped`,
            ),
          )
          break
        }
        this.#deliver(this.#pending[i]!)
      }
    } finally {
      // A fresh array is cheaper than truncating this one (setting .length is slow in V8).
      if (this.#pending.length > 0) this.#pending = []
      this.#flushing = false
    }
  }
}
