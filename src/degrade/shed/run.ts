import type { PermitCallback, ShedPermit } from './permit.js'
import type { AcquireOptions } from './types.js'
import type { Priority } from './priority.js'

/** Handed to `run()` functions when the caller gave no signal. */
const NEVER_ABORTED = new AbortController().signal

type Acquire = (priority: Priority, callback: PermitCallback, options: AcquireOptions) => ShedPermit

/**
 * `shed.run()` on checked arguments: `fn` runs once a slot is held, and the slot is given back
 * however the work ends (result, throw, rejection, abort). Aborting withdraws waiting work, or
 * rejects running work with the signal's reason and frees its slot at once.
 */
export function runInSlot<T>(
  acquire: Acquire,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  priority: Priority,
  signal: AbortSignal | undefined,
  options: AcquireOptions,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    let permit: ShedPermit | undefined
    let settled = false
    const settle = (fulfilled: boolean, value: unknown): void => {
      if (settled) return
      settled = true
      // Optional call: a signal is checked by shape (another realm's, a polyfill), not by class.
      signal?.removeEventListener?.('abort', onAbort)
      permit?.release()
      if (fulfilled) resolve(value as T)
      else reject(value)
    }
    const onAbort = (): void => settle(false, signal!.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    permit = acquire(
      priority,
      (error, granted) => {
        permit = granted
        if (error !== undefined) return settle(false, error)
        let result: T | PromiseLike<T>
        try {
          result = fn(signal ?? NEVER_ABORTED)
        } catch (thrown) {
          return settle(false, thrown)
        }
        Promise.resolve(result).then(
          (value) => settle(true, value),
          (thrown: unknown) => settle(false, thrown),
        )
      },
      options,
    )
  })
}
