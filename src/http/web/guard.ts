import type { ShedError } from '../../degrade/shed/error.js'
import type { Priority } from '../../degrade/shed/priority.js'
import { checkOptions, optionKeys } from '../../util/validate.js'
import { isThenable } from '../../util/safe-call.js'
import {
  GUARD_OPTION_KEYS,
  RequestPolicy,
  type GuardOptions,
  type RequestBytes,
  type RequestReservation,
} from '../policy.js'
import { targetOf, type GuardTarget, type Target } from '../target.js'
import { AdmittedRequest } from './admitted.js'
import { failure, gone, refusal } from './respond.js'

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
   * A function that throws or returns something else than a priority is reported and the request
   * treated as `'normal'` (docs/shedding.md#a-priority-function-that-fails).
   */
  priority?: Priority | ((input: In) => Priority)
  /** Seconds sent in `Retry-After` when refused; default the controller's `shed.retryAfter`. */
  retryAfter?: number
  /**
   * Bytes the request reserves (`pressure.reserve`, at its priority) for the life of the handler —
   * until the Response is produced, and for a streamed body until the stream ends or is cancelled:
   * a number, or a function of the request (rows asked × bytes per row), which may return a
   * promise (count first). A request that does not fit is answered `503` before the handler runs;
   * a function that throws, rejects or gives something that is not a byte count answers `500`
   * (reported). See docs/reservations.md.
   */
  bytes?: RequestBytes<In>
}

const WEB_OPTION_KEYS = [
  ...optionKeys<Pick<WebShedOptions<unknown>, 'pressure'>>({ pressure: true }),
  ...GUARD_OPTION_KEYS,
] as const

/**
 * Where a Web guard finds its controller when the options name none: the entries pass
 * `sharedController` (src/web.ts, src/hono.ts), so that http/ never imports the controller.
 */
export type SharedController = () => unknown

/** The outcome of an admission: the request holds a slot, or this is its answer. */
export type Admission = AdmittedRequest | Response

/**
 * One Web request's way through the shedder: its priority, the decision, and the answer when it
 * is not let in. Uses only the controller's public API (`shed.acquire`, `shed.retryAfter`,
 * `shed.limits`, `report`, `closed`), so an adapter of one copy of heapguard serves a controller
 * built by another: Next.js compiles `instrumentation.ts` and each route into bundles of their own.
 */
export class WebGuard<In> {
  readonly #policy: RequestPolicy<In>
  // The policy's fields a request reads, copied once: the hot path reads fields, not a method.
  readonly #fixed: Priority | undefined
  readonly #acquire: RequestPolicy<In>['acquire']
  readonly #reserves: boolean
  readonly #given: Target | undefined
  readonly #shared: SharedController
  #found: { controller: unknown; target: Target } | undefined
  /** A refusal raised inside the handler, answered as one at the door (one function per guard, not per request). */
  readonly #refuse: (error: ShedError) => Response

  constructor(where: string, options: unknown, shared: SharedController) {
    const { pressure, ...own } = checkOptions<WebShedOptions<In>>(where, 'options', options, WEB_OPTION_KEYS)
    const policy = (this.#policy = RequestPolicy.of<In>(where, own as GuardOptions<In>, 'any'))
    this.#fixed = policy.fixed
    this.#acquire = policy.acquire
    this.#reserves = policy.bytes !== undefined
    this.#given = pressure === undefined ? undefined : targetOf(where, pressure)
    if (this.#given !== undefined) this.#policy.checkReserve(this.#given)
    this.#shared = shared
    this.#refuse = (error) => refusal(policy.refusal(error))
  }

  /**
   * Admits `request` (at once, or after a wait in the queue) or answers it: 503 with `Retry-After`
   * when refused, 499 when its client left while it waited. Without a wait nothing here
   * allocates a promise.
   */
  admit(input: In, request: Request): Admission | Promise<Admission> {
    const target = this.#target()
    const priority = this.#fixed ?? this.#policy.priorityOf(input, target.report)
    if (target.follows && request.signal?.aborted === true) return gone()
    let decided: Admission | Promise<Admission> | undefined
    let later: ((outcome: Admission | Promise<Admission>) => void) | undefined
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
    target: Target,
  ): Admission | Promise<Admission> {
    const policy = this.#policy
    if (!this.#reserves)
      return new AdmittedRequest(granted, request, target.follows, policy.where, target.report, this.#refuse)
    if (target.reserve === undefined) {
      // The shared controller is found at the first request: only then can it be checked.
      granted.release()
      try {
        policy.checkReserve(target)
      } catch (error) {
        target.report(error)
      }
      return failure()
    }
    const held = policy.reserve(target as Required<Target>, input, priority)
    // `bytes` counts first (a promise): the slot is held while it does.
    if (isThenable(held)) return held.then((counted) => this.#reserved(counted, granted, request, target, true))
    return this.#reserved(held, granted, request, target, false)
  }

  /** What the request's reservation came to: the request goes on holding it, or this is its answer. */
  #reserved(
    held: RequestReservation,
    granted: { readonly release: () => void },
    request: Request,
    target: Target,
    counted: boolean,
  ): Admission {
    const policy = this.#policy
    if (held.outcome !== 'held') {
      granted.release()
      if (held.outcome === 'failed') return failure()
      return refusal(policy.refusal(held.refusal))
    }
    const release = (): void => {
      granted.release()
      held.release()
    }
    if (counted && request.signal?.aborted === true) {
      // The client left while `bytes` counted: nobody reads an answer, and nothing stays held.
      release()
      return gone()
    }
    // A reservation is worth holding until the body is sent: it follows the request, limit or not.
    return new AdmittedRequest({ release }, request, true, policy.where, target.report, this.#refuse)
  }

  /** The given controller, or the shared one: looked up again once it closed (it is then replaced). */
  #target(): Target {
    if (this.#given !== undefined) return this.#given
    const found = this.#found
    if (found !== undefined && (found.controller as { closed?: unknown }).closed !== true) return found.target
    const controller = this.#shared()
    const target = targetOf(this.#policy.where, controller)
    this.#found = { controller, target }
    return target
  }
}
