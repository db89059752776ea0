/**
 * Calls a user callback from a place where nothing may escape (a level hook, a timer, a signal
 * handler): a synchronous throw and the rejection of a returned promise are both reported.
 */
export function callSafely<A extends unknown[]>(to: Reporter, fn: (...args: A) => unknown, ...args: A): void {
  try {
    const result = fn(...args)
    if (isThenable(result)) result.then(undefined, (error: unknown) => to.report(error))
  } catch (error) {
    to.report(error)
  }
}

export interface Reporter {
  readonly report: (error: unknown) => void
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
