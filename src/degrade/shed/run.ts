import type { PermitCallback, ShedPermit } from './permit.js'
import type { AcquireOptions } from './types.js'
import type { Priority } from './priority.js'

/** Handed to `run()` functions when the caller gave no signal. */
const NEVER_ABORTED = new AbortController().signal

type Acquire = (priority: Priority, callback: PermitCallback, options: AcquireOptions) => ShedPermit

/** `shed.run()`'s checked options. */
export interface RunPlan {
  priority: Priority
  signal: AbortSignal | undefined
  acquireOptions: AcquireOptions
  /** Reserves the work's bytes (throws a `ShedError` when they do not fit); undefined without `bytes`. */
  reserve: (() => { release(): void }) | undefined
}

/**
 * `shed.run()` on checked arguments: `fn` runs once a slot is held (and its bytes reserved), and
 * both are given back however the work ends (result, throw, rejection, abort). Aborting
 * withdraws waiting work, or rejects running work with the signal's reason and frees its slot
 * and reservation at once.
 */
export function runInSlot<T>(
  acquire: Acquire,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  plan: RunPlan,
): Promise<T> {
  const { priority, signal, acquireOptions: options, reserve } = plan
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    let permit: ShedPermit | undefined
    let reservation: { release(): void } | undefined
    let settled = false
    const settle = (fulfilled: boolean, value: unknown): void => {
      if (settled) return
      settled = true
      // Optional call: a signal is checked by shape (another realm's, a polyfill), not by class.
      signal?.removeEventListener?.('abort', onAbort)
      permit?.release()
      reservation?.release()
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
          if (reserve !== undefined) reservation = reserve()
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
