import { withRetryAfter, type ShedError } from '../degrade/shed/error.js'
import { checkRetryAfter } from '../degrade/shed/options.js'
import { isPriority, PRIORITIES, type Priority } from '../degrade/shed/priority.js'
import type { AcquireOptions } from '../degrade/shed/types.js'
import { isThenable } from '../util/safe-call.js'
import { checkFunction, checkOneOf, checkOptions, describe, optionKeys } from '../util/validate.js'

/**
 * The bytes a request reserves for its life: a fixed number, or a function of the request, which
 * may return a promise (count the rows first, then reserve for them).
 */
export type RequestBytes<Req> = number | ((req: Req) => number | PromiseLike<number>)

/**
 * The options every HTTP guard takes, whatever the transport; `In` is what the functions are
 * given (node's `req`, a Web `Request`, Fastify's request, Hono's `Context`). An adapter may add
 * keys of its own (`pressure`; Fastify's register options), never another meaning for these.
 */
export interface GuardOptions<In> {
  /** A fixed priority (Web adapters, Fastify routes) or a function of the request. Default `'normal'`. */
  priority?: Priority | ((input: In) => Priority)
  /** Seconds sent in `Retry-After` when this guard refuses; default the controller's `shed.retryAfter`. */
  retryAfter?: number
  /** Bytes each admitted request reserves for its life: a number, or a function of the request. */
  bytes?: RequestBytes<In>
}

/** The names of those options: the one list every adapter checks against (with its own keys added). */
export const GUARD_OPTION_KEYS = optionKeys<GuardOptions<unknown>>({ priority: true, retryAfter: true, bytes: true })

/** A route's own options (Fastify's `config: { heapguard }`); what it leaves out comes from the guard's. */
export type RouteOptions<In> = Pick<GuardOptions<In>, 'priority' | 'bytes'>

const ROUTE_OPTION_KEYS = optionKeys<RouteOptions<unknown>>({ priority: true, bytes: true })

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

/**
 * Which forms the `priority` option takes: `'function'` where it must be a function of the
 * request (the node middleware and the Fastify plugin, as documented), `'any'` where a fixed
 * priority is allowed too (the Web adapters, a Fastify route's own config).
 */
export type PriorityForms = 'function' | 'any'

/**
 * How a guard treats a request, whatever the transport: its priority, the bytes it reserves, the
 * `Retry-After` of a refusal, and what the shedder is asked. The transports (node/, web/,
 * fastify.ts, hono.ts) decide only how a request waits and how an answer is written.
 *
 * The priority rule, for every adapter (docs/shedding.md#a-priority-function-that-fails): a
 * function that throws, or returns something that is not a priority, is reported and the request
 * treated as `'normal'`, the priority it would have without the option.
 */
export class RequestPolicy<In> {
  /** The API the user called, at the head of every message (`withPressure`, `shed.middleware`…). */
  readonly where: string
  readonly bytes: RequestBytes<In> | undefined
  /** This guard's own `Retry-After`, or undefined for the controller's. */
  readonly retryAfter: number | undefined
  /**
   * What `shed.acquire()` is given: undefined (the shedder's defaults) unless the guard has its
   * own `Retry-After` or reserves bytes. Frozen and reused, so the shedder checks it once, not per
   * request; work that reserves is admitted by its reservation rather than by the measured level.
   */
  readonly acquire: AcquireOptions | undefined
  /** The priority when it is fixed (no function given): the guards read it without a call. */
  readonly fixed: Priority | undefined
  readonly #fixed: Priority
  readonly #priorityOf: ((input: In) => Priority) | undefined
  /** How `bytes` was named where it was given: `option \`bytes\`` or `config.heapguard.bytes`. */
  readonly #bytesName: string

  /** Checks `options` (their keys already checked by the adapter) and builds the policy. */
  static of<In>(where: string, options: GuardOptions<In>, forms: PriorityForms): RequestPolicy<In> {
    const { priority, retryAfter, bytes } = options
    const { fixed, fn } =
      priority === undefined
        ? { fixed: 'normal' as const, fn: undefined }
        : checkPriority<In>(where, 'option `priority`', priority, forms)
    return new RequestPolicy<In>(
      where,
      fixed,
      fn,
      bytes === undefined ? undefined : checkRequestBytes<In>(where, 'option `bytes`', bytes),
      'option `bytes`',
      retryAfter === undefined ? undefined : checkRetryAfter(where, 'option `retryAfter`', retryAfter),
    )
  }

  private constructor(
    where: string,
    fixed: Priority,
    priorityOf: ((input: In) => Priority) | undefined,
    bytes: RequestBytes<In> | undefined,
    bytesName: string,
    retryAfter: number | undefined,
  ) {
    this.where = where
    this.#fixed = fixed
    this.#priorityOf = priorityOf
    this.fixed = priorityOf === undefined ? fixed : undefined
    this.bytes = bytes
    this.#bytesName = bytesName
    this.retryAfter = retryAfter
    const reserves = bytes !== undefined
    this.acquire =
      retryAfter === undefined && !reserves
        ? undefined
        : Object.freeze({ ...(retryAfter === undefined ? {} : { retryAfter }), ...(reserves ? { reserves } : {}) })
  }

  /**
   * A route's own policy (Fastify's `config: { heapguard: { priority, bytes } }`), checked when
   * the route is declared (`where` names it); what it leaves out comes from this policy.
   */
  forRoute(where: string, config: unknown): RequestPolicy<In> {
    const { priority, bytes } = checkOptions<RouteOptions<In>>(where, 'config.heapguard', config, ROUTE_OPTION_KEYS)
    const own =
      priority === undefined ? undefined : checkPriority<In>(where, 'config.heapguard.priority', priority, 'any')
    return new RequestPolicy<In>(
      this.where,
      own === undefined ? this.#fixed : own.fixed,
      own === undefined ? this.#priorityOf : own.fn,
      bytes === undefined ? this.bytes : checkRequestBytes<In>(where, 'config.heapguard.bytes', bytes),
      bytes === undefined ? this.#bytesName : 'config.heapguard.bytes',
      this.retryAfter,
    )
  }

  /** Throws when this policy reserves bytes and the controller has no `reserve()` (a copy of heapguard older than reservations). */
  checkReserve(target: { readonly reserve?: unknown }, where = this.where): void {
    if (this.bytes !== undefined && target.reserve === undefined) {
      throw new TypeError(
        `${where}: ${this.#bytesName} needs a controller with reserve(), from a heapguard version with reservations`,
      )
    }
  }

  /** The request's priority; a function that fails is reported and the request treated as `'normal'` (see the class). */
  priorityOf(input: In, report: (error: unknown) => void): Priority {
    const priorityOf = this.#priorityOf
    if (priorityOf === undefined) return this.#fixed
    let priority: unknown
    try {
      priority = priorityOf(input)
    } catch (error) {
      report(error)
      return 'normal'
    }
    if (isPriority(priority)) return priority
    report(
      new TypeError(
        `${this.where}: option \`priority\` must return one of ${PRIORITIES.map((p) => `'${p}'`).join(', ')}, got ${describe(priority)}; treated as 'normal'`,
      ),
    )
    return 'normal'
  }

  /**
   * Reserves what `bytes` says for one request, at `priority`, through the controller's public
   * API. Hold the result's `release` until the response ends (finish, close or error): it is
   * idempotent, so every exit path may call it. Call only when `bytes` is set. A `bytes` function
   * that returns a promise gives a promise of the outcome, which never rejects: a rejection is
   * `failed` (reported), as a throw is.
   */
  reserve(target: ReserveTarget, input: In, priority: Priority): RequestReservation | Promise<RequestReservation> {
    const bytes = this.bytes!
    if (typeof bytes !== 'function') return grant(target, bytes, priority)
    let amount: unknown
    try {
      amount = bytes(input)
    } catch (error) {
      target.report(error)
      return FAILED
    }
    if (!isThenable(amount)) return grant(target, amount, priority)
    return Promise.resolve(amount).then(
      (counted) => grant(target, counted, priority),
      (error: unknown) => {
        target.report(error)
        return FAILED
      },
    )
  }

  /** A memory refusal comes with the controller's `Retry-After`: this guard's own, when it has one. */
  refusal(error: ShedError): ShedError {
    return this.retryAfter === undefined ? error : withRetryAfter(error, this.retryAfter)
  }
}

const FAILED: RequestReservation = Object.freeze({ outcome: 'failed' })

/** Reserves `amount` (what `bytes` gave) at `priority`: held, refused, or failed (reported). */
function grant(target: ReserveTarget, amount: unknown, priority: Priority): RequestReservation {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    const Kind = typeof amount === 'number' ? RangeError : TypeError
    target.report(
      new Kind(
        `heapguard shed: option \`bytes\` must return a finite number >= 0, got ${describe(amount)}; the request was answered with 500`,
      ),
    )
    return FAILED
  }
  try {
    const reservation = target.reserve(amount, { priority })
    return { outcome: 'held', release: () => reservation.release() }
  } catch (error) {
    if (isShedError(error)) return { outcome: 'refused', refusal: error }
    target.report(error)
    return FAILED
  }
}

/** A `priority` option: a function, or (where allowed) one of the priorities. */
function checkPriority<In>(
  where: string,
  name: string,
  value: unknown,
  forms: PriorityForms,
): { fixed: Priority; fn: ((input: In) => Priority) | undefined } {
  if (typeof value === 'function' || forms === 'function') {
    return { fixed: 'normal', fn: checkFunction<(input: In) => Priority>(where, name, value) }
  }
  const described = name === 'option `priority`' ? `${name} (a priority or a function returning one)` : name
  return { fixed: checkOneOf(where, described, value, PRIORITIES), fn: undefined }
}

/** Checks a `bytes` option when an adapter is built: a finite number ≥ 0, or a function of the request. */
function checkRequestBytes<Req>(where: string, name: string, value: unknown): RequestBytes<Req> {
  if (typeof value === 'function') return value as (req: Req) => number | PromiseLike<number>
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

/**
 * A `ShedError` from any copy of heapguard (checked by its stable code, not its class): a refusal
 * raised inside a guarded handler (`pressure.reserve()`, `shed.run()`), answered 503 by every adapter.
 */
export function isShedError(error: unknown): error is ShedError {
  return (error as { code?: unknown } | null)?.code === 'HEAPGUARD_SHED'
}
