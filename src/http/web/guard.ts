import type { Controller } from '../../controller.js'
import { sharedController } from '../../lifecycle/shared-controller.js'
import { checkFunction, checkOneOf, checkOptions, describe } from '../../util/validate.js'
import { withRetryAfter } from '../../degrade/shed/error.js'
import { webTargetOf, type GuardTarget, type WebTarget } from '../target.js'
import { failure, gone, refusal } from './respond.js'
import { checkRetryAfter } from '../../degrade/shed/options.js'
import { isPriority, PRIORITIES, type Priority } from '../../degrade/shed/priority.js'
import type { AcquireOptions } from '../../degrade/shed/types.js'
import { checkRequestBytes, reserveForRequest, type RequestBytes } from '../policy.js'
import { AdmittedRequest } from './admitted.js'

/** Options shared by `withPressure()` and the Hono middleware; `In` is what `priority` is given. */
export interface WebShedOptions<In> {
  /**
   * The controller (its `shed` and `report` are used). Default `sharedController()`, looked up at
   * the first request: the one `instrumentation.ts` (or any module) built, in whatever bundle.
   */
  pressure?: GuardTarget
  /**
   * The priority of a request: a fixed one, or a function of the request. Default `'normal'`.
   * Decide it on the server (route, method, authenticated caller), never from a client header.
   */
  priority?: Priority | ((input: In) => Priority)
  /** Seconds sent in `Retry-After` when refused; default the controller's `shed.retryAfter`. */
  retryAfter?: number
  /**
   * Bytes the request reserves (`pressure.reserve`, at its priority) for the life of the handler —
   * until the Response is produced, and for a streamed body until the stream ends or is cancelled:
   * a number, or a function of the request (rows asked × bytes per row). A request that does not
   * fit is answered `503` before the handler runs; a function that throws or returns something that
   * is not a byte count answers `500` (reported). See docs/reservations.md.
   */
  bytes?: RequestBytes<In>
}

export const WEB_OPTION_KEYS: readonly (keyof WebShedOptions<unknown> & string)[] = [
  'pressure',
  'priority',
  'retryAfter',
  'bytes',
]

/** The outcome of an admission: the request holds a slot, or this is its answer. */
export type Admission = AdmittedRequest | Response

/**
 * One Web request's way through the shedder: its priority, the decision, and the answer when it
 * is not let in. Uses only the controller's public API (`shed.acquire`, `shed.retryAfter`,
 * `shed.limits`, `report`, `closed`), so an adapter of one copy of heapguard serves a controller
 * built by another: Next.js compiles `instrumentation.ts` and each route into bundles of their own.
 */
export class WebGuard<In> {
  readonly #where: string
  readonly #given: WebTarget | undefined
  readonly #priority: Priority
  readonly #priorityOf: ((input: In) => Priority) | undefined
  readonly #acquire: AcquireOptions | undefined
  readonly #bytes: RequestBytes<In> | undefined
  /** This adapter's own `Retry-After`, or undefined for the controller's. */
  readonly #seconds: number | undefined
  #shared: { controller: Controller; target: WebTarget } | undefined

  constructor(where: string, options: unknown) {
    const { pressure, priority, retryAfter, bytes } = checkOptions<WebShedOptions<In>>(
      where,
      'options',
      options,
      WEB_OPTION_KEYS,
    )
    this.#where = where
    this.#given = pressure === undefined ? undefined : webTargetOf(where, pressure)
    if (typeof priority === 'function') {
      this.#priority = 'normal'
      this.#priorityOf = checkFunction(where, 'option `priority`', priority)
    } else {
      this.#priority =
        priority === undefined
          ? 'normal'
          : checkOneOf(where, 'option `priority` (a priority or a function returning one)', priority, PRIORITIES)
    }
    this.#bytes = bytes === undefined ? undefined : checkRequestBytes<In>(where, 'option `bytes`', bytes)
    if (this.#bytes !== undefined && this.#given !== undefined && this.#given.reserve === undefined) {
      throw new TypeError(
        `${where}: option \`bytes\` needs a controller with reserve(), from a heapguard version with reservations`,
      )
    }
    // Frozen and reused: the shedder checks an options object once, not per request. Work that
    // reserves is admitted by its reservation rather than by the level (see docs/reservations.md).
    const seconds = retryAfter === undefined ? undefined : checkRetryAfter(where, 'option `retryAfter`', retryAfter)
    this.#seconds = seconds
    this.#acquire =
      this.#bytes !== undefined
        ? Object.freeze(seconds === undefined ? { reserves: true } : { retryAfter: seconds, reserves: true })
        : seconds === undefined
          ? undefined
          : Object.freeze({ retryAfter: seconds })
  }

  /**
   * Admits `request` (at once, or after a wait in the queue) or answers it: 503 with `Retry-After`
   * when refused, 499 when its client left while it waited. Without a wait nothing here
   * allocates a promise.
   */
  admit(input: In, request: Request): Admission | Promise<Admission> {
    const target = this.#target()
    const priority = this.#priorityOf === undefined ? this.#priority : this.#priorityFor(input, target)
    if (target.follows && request.signal?.aborted === true) return gone()
    let decided: Admission | undefined
    let later: ((outcome: Admission) => void) | undefined
    const permit = target.shed.acquire(
      priority,
      (error, granted) => {
        const outcome = error === undefined ? this.#admitted(granted, input, request, priority, target) : refusal(error)
        if (later === undefined) decided = outcome
        else later(outcome)
      },
      this.#acquire,
    )
    if (decided !== undefined) return decided
    // Queued for a slot: a client that leaves meanwhile leaves the queue, and its handler never runs.
    return new Promise<Admission>((resolve) => {
      later = resolve
      const leave = (): void => {
        if (permit.state !== 'waiting') return
        permit.release()
        resolve(gone())
      }
      if (request.signal?.aborted === true) leave()
      else request.signal?.addEventListener?.('abort', leave, { once: true })
    })
  }

  /** A request that holds its slot: with `bytes`, it also reserves them, or is answered instead. */
  #admitted(
    granted: { readonly release: () => void },
    input: In,
    request: Request,
    priority: Priority,
    target: WebTarget,
  ): Admission {
    const bytes = this.#bytes
    if (bytes === undefined) return new AdmittedRequest(granted, request, target.follows, this.#where, target.report)
    if (target.reserve === undefined) {
      granted.release()
      target.report(new TypeError(`${this.#where}: option \`bytes\` needs a controller with reserve()`))
      return failure()
    }
    const held = reserveForRequest({ reserve: target.reserve, report: target.report }, input, bytes, priority)
    if (held.outcome !== 'held') {
      granted.release()
      if (held.outcome === 'failed') return failure()
      return refusal(this.#seconds === undefined ? held.refusal : withRetryAfter(held.refusal, this.#seconds))
    }
    const release = (): void => {
      granted.release()
      held.release()
    }
    // A reservation is worth holding until the body is sent: it follows the request, limit or not.
    return new AdmittedRequest({ release }, request, true, this.#where, target.report)
  }

  /** The given controller, or the shared one: looked up again once it closed (it is then replaced). */
  #target(): WebTarget {
    if (this.#given !== undefined) return this.#given
    const shared = this.#shared
    if (shared !== undefined && !shared.controller.closed) return shared.target
    const controller = sharedController()
    const target = webTargetOf(this.#where, controller)
    this.#shared = { controller, target }
    return target
  }

  /** A broken priority function must not take the server down: reported, and the request treated as `'normal'` (docs/shedding.md). */
  #priorityFor(input: In, target: WebTarget): Priority {
    let priority: unknown
    try {
      priority = this.#priorityOf!(input)
    } catch (error) {
      target.report(error)
      return 'normal'
    }
    if (isPriority(priority)) return priority
    target.report(
      new TypeError(
        `${this.#where}: option \`priority\` must return one of ${PRIORITIES.map((p) => `'${p}'`).join(', ')}, got ${describe(priority)}; treated as 'normal'`,
      ),
    )
    return 'normal'
  }
}
