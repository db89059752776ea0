import { checkOptions, checkString, describe, MAX_TIMER_MS } from '../../util/validate.js'
import { checkSignal } from '../../util/abort-signal.js'
import { TimeoutError } from '../../util/errors.js'
import { isThenable } from '../../util/safe-call.js'
import { readScalable, type Scalable } from './scaled-value.js'

export { TimeoutError }

export interface WithTimeoutOptions {
  /** A caller's signal (say, the request's): aborting it aborts the work and rejects with its reason. */
  signal?: AbortSignal
  /** Names the work in the TimeoutError message, e.g. `'checkout transaction'`. */
  label?: string
}

/** Work for `withTimeout`: a function given an AbortSignal (so it can really stop), or a promise. */
export type TimeoutWork<T> = ((signal: AbortSignal) => T | PromiseLike<T>) | PromiseLike<T>

/**
 * Settles with the work's result, or rejects with a `TimeoutError` once `ms` have passed. When the
 * work is a function it receives an AbortSignal that aborts on timeout (and when `options.signal`
 * aborts): pass it on to `fetch`, your database driver or your loop, so the work actually stops
 * instead of running on unseen. A bare promise cannot be stopped, only no longer waited for.
 *
 * `ms` may be a scaled value (`pressure.limits.scale(...)`), read at the call, so timeouts shorten
 * under pressure. A late result or rejection of timed-out work is swallowed, never left unhandled.
 * Bad arguments reject the returned promise.
 *
 * The deadline keeps the process alive until it fires (its timer is not unref'd, unlike
 * heapguard's own timers): a deadline on your work is bounded, and a script whose work is stuck
 * must end with the TimeoutError, not exit 0 as if the work had succeeded. The timer is cleared
 * the moment the work settles (or the caller's signal aborts), so a settled `withTimeout` holds
 * nothing.
 */
export function withTimeout<T>(
  work: TimeoutWork<T>,
  ms: Scalable,
  options: WithTimeoutOptions = {},
): Promise<Awaited<T>> {
  return new Promise<Awaited<T>>((resolve, reject) => {
    const W = 'withTimeout'
    // Whatever happens below, a promise handed in must not end as an unhandled rejection.
    if (isThenable(work)) work.then(undefined, () => {})
    else if (typeof work !== 'function')
      throw new TypeError(`${W}: argument \`work\` must be a function or a promise, got ${describe(work)}`)
    const limit = readScalable(W, 'argument `ms`', ms, { above: 0, max: MAX_TIMER_MS })
    const opts = checkOptions<WithTimeoutOptions>(W, 'options', options, ['signal', 'label'])
    const outer = checkSignal(W, 'option `signal`', opts.signal)
    const label = opts.label === undefined ? undefined : checkString(W, 'option `label`', opts.label)
    if (outer?.aborted) return reject(outer.reason)

    // Only work that can be told to stop gets a signal: creating one costs ~5 µs on Node 20.
    const inner = typeof work === 'function' ? new AbortController() : undefined
    const settle = (): void => {
      clearTimeout(timer)
      outer?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      settle()
      inner?.abort(outer!.reason)
      reject(outer!.reason)
    }
    // Not unref'd: a deadline on user work is bounded, and it must fire (see above).
    const timer = setTimeout(() => {
      const error = new TimeoutError(limit, label)
      settle()
      inner?.abort(error)
      reject(error)
    }, limit)
    outer?.addEventListener('abort', onAbort, { once: true })

    let pending: T | PromiseLike<T>
    try {
      pending =
        inner === undefined
          ? (work as PromiseLike<T>)
          : (work as (signal: AbortSignal) => T | PromiseLike<T>)(inner.signal)
    } catch (error) {
      settle()
      return reject(error)
    }
    Promise.resolve(pending).then(
      (value) => {
        settle()
        resolve(value)
      },
      (error: unknown) => {
        settle()
        reject(error)
      },
    )
  })
}
