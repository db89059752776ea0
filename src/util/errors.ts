import { brandError } from './error-brand.js'

/**
 * The work given to `withTimeout` did not settle in time. Also the `reason` of the signal it was
 * given. `instanceof TimeoutError` holds whichever copy of heapguard (ESM or CJS) built it.
 */
export class TimeoutError extends Error {
  static {
    brandError(this, 'TimeoutError')
  }
  override readonly name = 'TimeoutError'
  /** Stable code for logs and `catch` filters. */
  readonly code = 'HEAPGUARD_TIMEOUT'
  constructor(
    /** The limit that was exceeded, in ms. */
    readonly ms: number,
    label?: string,
  ) {
    super(`heapguard: ${label === undefined ? 'operation' : label} timed out after ${ms} ms`)
  }
}
