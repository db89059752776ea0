import { brandError } from '../../util/error-brand.js'
import { formatBytes } from '../../util/format-bytes.js'
import type { Priority } from '../shed/priority.js'

/**
 * Reported on `'error'` by the leak guard: a reservation held past `reservations.maxHoldMs`.
 * From then on it counts nothing; its `release()` stays harmless. `instanceof ReservationLeakError`
 * holds whichever copy of heapguard (ESM or CJS) built it.
 */
export class ReservationLeakError extends Error {
  static {
    brandError(this, 'ReservationLeakError')
  }
  override readonly name = 'ReservationLeakError'
  /** Stable code for logs and alerts. */
  readonly code = 'HEAPGUARD_RESERVATION_LEAK'
  readonly priority: Priority
  readonly bytes: number
  readonly source: string
  /** How long it had been held when the guard expired it (ms). */
  readonly ageMs: number

  constructor(leak: { priority: Priority; bytes: number; source: string; ageMs: number; maxHoldMs: number }) {
    super(
      `heapguard: a '${leak.priority}' reservation of ${formatBytes(leak.bytes)} (source "${leak.source}") was held ` +
        `${(leak.ageMs / 1000).toFixed(1)} s, past reservations.maxHoldMs (${leak.maxHoldMs} ms), without release(); ` +
        'it no longer counts (release it when its work ends: in a finally block, or with `using`)',
    )
    this.priority = leak.priority
    this.bytes = leak.bytes
    this.source = leak.source
    this.ageMs = leak.ageMs
  }
}
