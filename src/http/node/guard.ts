import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkFunction, checkOneOf, checkOptions, describe, optionKeys } from '../../util/validate.js'
import { checkRequestBytes, reserveForRequest, type RequestBytes, type ReserveTarget } from '../policy.js'
import type { GuardTarget } from '../target.js'
import { answerFailure } from './respond.js'
import { withRetryAfter, type ShedError } from '../../degrade/shed/error.js'
import { checkRetryAfter } from '../../degrade/shed/options.js'
import { isPriority, PRIORITIES, type Priority } from '../../degrade/shed/priority.js'
import type { AcquireOptions } from '../../degrade/shed/types.js'

/** Options shared by `shed.middleware()` and the Fastify plugin. */
export interface ShedHttpOptions<Req = IncomingMessage> {
  /**
   * The priority of a request; default `'normal'` for every request. Decide it on the server
   * (route, method, authenticated caller), never from a client-supplied header, or every client
   * will claim `critical`.
   */
  priority?: (req: Req) => Priority
  /** Seconds sent in `Retry-After` when this guard refuses; default the controller's `shed.retryAfter`. */
  retryAfter?: number
  /**
   * Bytes each admitted request reserves (`pressure.reserve`) until its response ends: a number,
   * or a function of the request (say, rows asked × bytes per row). A request that does not fit
   * gets the same 503 as any refusal; a function that throws or returns anything but a finite
   * number >= 0 has its request answered with 500, and is reported. Default: none.
   */
  bytes?: RequestBytes<Req>
}

const OPTION_KEYS = optionKeys<ShedHttpOptions>({ priority: true, retryAfter: true, bytes: true })

/** What a request's passage may add: a client that left while waiting, the answer to a failed `bytes(req)`, a route's policy. */
export interface PassOptions<Req, C> {
  /** The client went away while the request waited for a slot. */
  gone?: () => void
  /** `bytes(req)` threw or returned garbage (already reported): answer 500. Default: a 500 written on the node response. */
  failed?: (context: C) => void
  /** The route's own priority and bytes (default: the guard's options). */
  policy?: GuardPolicy<Req>
}

/** A route's own options (Fastify: `config: { heapguard: { priority, bytes } }`): a fixed priority or a function, and bytes. */
export interface RouteGuardOptions<Req> {
  priority?: Priority | ((req: Req) => Priority)
  bytes?: RequestBytes<Req>
}

/** How one request (or one route) is guarded: its priority and what it reserves. */
export interface GuardPolicy<Req> {
  readonly priority: Priority | ((req: Req) => Priority) | undefined
  readonly bytes: RequestBytes<Req> | undefined
}
/**
 * One HTTP request's passage through the shedder: its priority, the decision, and a slot held
 * until the response closes. Node emits `'close'` on the response both after it finished and
 * when the client went away first, so one listener covers both, and the idempotent permit
 * makes a second call harmless.
 *
 * The continuation (`next`, Fastify's `done`) of an immediate decision is called last and
 * unguarded, so what it throws reaches the framework (or the node:http caller) like any
 * handler's exception. After a wait in the queue there is no such caller: a throw is reported,
 * the slot given back, and the request answered with 500 so that it never hangs.
 */
export class HttpGuard<Req> {
  readonly #where: string
  readonly #target: GuardTarget
  readonly #policy: GuardPolicy<Req>
  readonly #acquire: AcquireOptions
  /** The `Retry-After` this guard answers with. */
  readonly #seconds: number
  /** For requests that reserve: admitted by their reservation rather than by the measured level. */
  readonly #acquireReserving: AcquireOptions
  /** What reserves a request's bytes; undefined when the controller has no `reserve()`. */
  readonly #reserver: ReserveTarget | undefined

  constructor(target: GuardTarget, where: string, options: unknown, extraKeys: readonly string[] = []) {
    // An adapter's own keys (Fastify's register options) may travel with the guard's.
    const known: readonly string[] = extraKeys.length === 0 ? OPTION_KEYS : [...OPTION_KEYS, ...extraKeys]
    const { priority, retryAfter, bytes } = checkOptions<Record<string, unknown>>(
      where,
      'options',
      options,
      known,
    ) as ShedHttpOptions<Req>
    this.#where = where
    this.#target = target
    const reserve = target.reserve
    this.#reserver = reserve === undefined ? undefined : { reserve, report: target.report }
    this.#policy = {
      priority: priority === undefined ? undefined : checkFunction(where, 'option `priority`', priority),
      bytes: bytes === undefined ? undefined : this.#checkBytes(where, 'option `bytes`', bytes),
    }
    // Frozen and reused: the shedder checks an options object once, not per request.
    const seconds =
      retryAfter === undefined ? target.shed.retryAfter : checkRetryAfter(where, 'option `retryAfter`', retryAfter)
    this.#seconds = seconds
    this.#acquire = Object.freeze({ retryAfter: seconds })
    this.#acquireReserving = Object.freeze({ retryAfter: seconds, reserves: true })
  }

  /**
   * Calls `admitted` once the request holds a slot (at once, or after waiting in the queue) or
   * `refused` with the reason and `context` (the response, or Fastify's reply, so that it can be
   * a shared function rather than a closure per request); a request whose client left while it
   * waited gets `gone`.
   */
  pass<C>(
    req: Req,
    res: ServerResponse,
    context: C,
    admitted: () => void,
    refused: (error: ShedError, context: C) => void,
    extra?: PassOptions<Req, C>,
  ): void {
    const gone = extra?.gone
    const failed = extra?.failed
    const policy = extra?.policy ?? this.#policy
    if (res.closed) {
      // Its 'close' has already fired: a slot taken now would never be given back.
      admitted()
      return
    }
    const priority = this.#priorityFor(req, policy.priority)
    let waited = false
    const permit = this.#target.shed.acquire(
      priority,
      (error, granted) => {
        if (error !== undefined) return refused(error, context)
        if (policy.bytes !== undefined) {
          const held = reserveForRequest(this.#reserver!, req, policy.bytes, priority)
          if (held.outcome !== 'held') {
            granted.release()
            if (held.outcome === 'refused') return refused(withRetryAfter(held.refusal, this.#seconds), context)
            return failed === undefined ? answerFailure(res) : failed(context)
          }
          res.on('close', held.release)
        }
        res.on('close', granted.release)
        if (!waited) return admitted()
        try {
          admitted()
        } catch (thrown) {
          this.#target.report(thrown)
          granted.release()
          answerFailure(res)
        }
      },
      policy.bytes === undefined ? this.#acquire : this.#acquireReserving,
    )
    if (permit.state !== 'waiting') return
    waited = true
    res.on('close', () => {
      if (permit.state !== 'waiting') return
      permit.release()
      gone?.()
    })
  }

  /**
   * A route's own policy (Fastify's `config: { heapguard: { priority, bytes } }`), checked when
   * the route is declared; what it leaves out comes from the guard's options.
   */
  policyFor(where: string, config: unknown): GuardPolicy<Req> {
    const { priority, bytes } = checkOptions<RouteGuardOptions<Req>>(where, 'config.heapguard', config, [
      'priority',
      'bytes',
    ])
    return {
      priority:
        priority === undefined
          ? this.#policy.priority
          : typeof priority === 'function'
            ? priority
            : checkOneOf(where, 'config.heapguard.priority', priority, PRIORITIES),
      bytes: bytes === undefined ? this.#policy.bytes : this.#checkBytes(where, 'config.heapguard.bytes', bytes),
    }
  }

  #checkBytes(where: string, name: string, value: unknown): RequestBytes<Req> {
    const bytes = checkRequestBytes<Req>(where, name, value)
    if (this.#reserver === undefined) {
      throw new TypeError(
        `${where}: ${name} needs a controller with reserve(), from a heapguard version with reservations`,
      )
    }
    return bytes
  }

  /** A broken priority function must not take the server down: reported, and the request treated as `'normal'` (docs/shedding.md). */
  #priorityFor(req: Req, priorityOf: GuardPolicy<Req>['priority']): Priority {
    if (priorityOf === undefined) return 'normal'
    if (typeof priorityOf === 'string') return priorityOf
    let priority: unknown
    try {
      priority = priorityOf(req)
    } catch (error) {
      this.#target.report(error)
      return 'normal'
    }
    if (isPriority(priority)) return priority
    this.#target.report(
      new TypeError(
        `${this.#where}: option \`priority\` must return one of ${PRIORITIES.map((p) => `'${p}'`).join(', ')}, got ${describe(priority)}; treated as 'normal'`,
      ),
    )
    return 'normal'
  }
}
