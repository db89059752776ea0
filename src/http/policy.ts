import { describe } from '../util/validate.js'
import type { ShedError } from '../degrade/shed/error.js'
import type { Priority } from '../degrade/shed/priority.js'

/** The bytes a request reserves for its life: a fixed number, or a function of the request. */
export type RequestBytes<Req> = number | ((req: Req) => number)

/**
 * What reserving for a request needs from a controller: its public `reserve()` and `report()`,
 * so that an adapter of one copy of heapguard serves a controller built by another.
 */
export interface ReserveTarget {
  reserve(bytes: number, options?: { priority?: Priority }): { release(): void }
  readonly report: (error: unknown) => void
}

/**
 * What happened when a request asked for its reservation; never a throw:
 * - `held`: answer the request, and call `release` once its response has ended;
 * - `refused`: it does not fit: answer 503 from the `ShedError` (reason `'memory'`);
 * - `failed`: `bytes(req)` threw or returned something that is not a byte count; it was reported
 *   on the controller's `'error'`, and the request should be answered with 500.
 */
export type RequestReservation =
  | { readonly outcome: 'held'; readonly release: () => void }
  | { readonly outcome: 'refused'; readonly refusal: ShedError }
  | { readonly outcome: 'failed' }

/** Checks a `bytes` option when an adapter is built: a finite number ≥ 0, or a function of the request. */
export function checkRequestBytes<Req>(where: string, name: string, value: unknown): RequestBytes<Req> {
  if (typeof value === 'function') return value as (req: Req) => number
  if (typeof value !== 'number') {
    throw new TypeError(
      `${where}: ${name} must be a number of bytes or a function (request) => number, got ${describe(value)}`,
    )
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${where}: ${name} must be a finite number >= 0, got ${describe(value)}`)
  }
  return value
}

/** A `ShedError` from any copy of heapguard (checked by its stable code, not its class). */
function isShedError(error: unknown): error is ShedError {
  return (error as { code?: unknown } | null)?.code === 'HEAPGUARD_SHED'
}

/**
 * Reserves what `bytes` says for one request, at `priority`, through the controller's public
 * API. Hold the result's `release` until the response ends (finish, close or error): it is
 * idempotent, so every exit path may call it.
 */
export function reserveForRequest<Req>(
  target: ReserveTarget,
  req: Req,
  bytes: RequestBytes<Req>,
  priority: Priority,
): RequestReservation {
  let amount: unknown = bytes
  if (typeof bytes === 'function') {
    try {
      amount = bytes(req)
    } catch (error) {
      target.report(error)
      return { outcome: 'failed' }
    }
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    const Kind = typeof amount === 'number' ? RangeError : TypeError
    target.report(
      new Kind(
        `heapguard shed: option \`bytes\` must return a finite number >= 0, got ${describe(amount)}; the request was answered with 500`,
      ),
    )
    return { outcome: 'failed' }
  }
  try {
    const reservation = target.reserve(amount, { priority })
    return { outcome: 'held', release: () => reservation.release() }
  } catch (error) {
    if (isShedError(error)) return { outcome: 'refused', refusal: error }
    target.report(error)
    return { outcome: 'failed' }
  }
}
