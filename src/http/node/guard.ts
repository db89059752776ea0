import type { ServerResponse } from 'node:http'
import type { ShedError } from '../../degrade/shed/error.js'
import { isThenable } from '../../util/safe-call.js'
import { isShedError, type RequestPolicy, type RequestReservation } from '../policy.js'
import type { Target } from '../target.js'
import { answerFailure } from './respond.js'

/** What a request's passage may add: a client that left while waiting, the answer to a failed `bytes(req)`, a route's policy. */
export interface PassOptions<Req, C> {
  /** The client went away while the request waited for a slot. */
  gone?: () => void
  /** `bytes(req)` threw or returned garbage (already reported): answer 500. Default: a 500 written on the node response. */
  failed?: (context: C) => void
  /** The route's own policy (default: the guard's). */
  policy?: RequestPolicy<Req>
}

/**
 * One HTTP request's passage through the shedder: its priority, the decision, and a slot held
 * until the response closes. Node emits `'close'` on the response both after it finished and
 * when the client went away first, so one listener covers both, and the idempotent permit
 * makes a second call harmless.
 *
 * The continuation (`next`, Fastify's `done`) of an immediate decision is called last, so what it
 * throws reaches the framework (or the node:http caller) like any handler's exception. After a
 * wait in the queue there is no such caller: a throw is reported, the slot given back, and the
 * request answered with 500 so that it never hangs. Either way a `ShedError` thrown there (a
 * refusal raised inside the handler) is answered with the refusal's 503 instead.
 */
export class HttpGuard<Req> {
  readonly #target: Target
  readonly #policy: RequestPolicy<Req>

  /** @throws TypeError when the policy reserves bytes and the controller has no `reserve()`. */
  constructor(target: Target, policy: RequestPolicy<Req>) {
    policy.checkReserve(target)
    this.#target = target
    this.#policy = policy
  }

  /** The guard's own policy, for routes that refine it (Fastify's `config.heapguard`). */
  get policy(): RequestPolicy<Req> {
    return this.#policy
  }

  /** A route's policy (Fastify's `config: { heapguard }`, checked when the route is declared; `where` names it). */
  routePolicy(where: string, config: unknown): RequestPolicy<Req> {
    const policy = this.#policy.forRoute(where, config)
    policy.checkReserve(this.#target, where)
    return policy
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
    const target = this.#target
    const priority = policy.fixed ?? policy.priorityOf(req, target.report)
    let waited = false
    const permit = target.shed.acquire(
      priority,
      (error, granted) => {
        if (error !== undefined) return refused(error, context)
        // From here the slot is given back when the response closes, even while `bytes` counts.
        res.on('close', granted.release)
        if (policy.bytes !== undefined) {
          const held = policy.reserve(target as Required<Target>, req, priority)
          if (isThenable(held)) {
            // `bytes` counts first (a promise): the request goes on, or is answered, once it has.
            void held.then((counted) => {
              if (this.#hold(counted, granted, res, context, refused, failed, policy)) {
                this.#enter(res, context, admitted, refused, policy, granted, true)
              }
            })
            return
          }
          if (!this.#hold(held, granted, res, context, refused, failed, policy)) return
        }
        this.#enter(res, context, admitted, refused, policy, granted, waited)
      },
      policy.acquire,
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
   * What a request's reservation came to: held (true: go on; released when the response closes),
   * or the request answered (503 refused, 500 failed) and its slot given back. A client that left
   * while `bytes` counted gets nothing, and nothing stays held.
   */
  #hold<C>(
    held: RequestReservation,
    granted: { readonly release: () => void },
    res: ServerResponse,
    context: C,
    refused: (error: ShedError, context: C) => void,
    failed: ((context: C) => void) | undefined,
    policy: RequestPolicy<Req>,
  ): boolean {
    if (held.outcome !== 'held') {
      granted.release()
      if (held.outcome === 'refused') refused(policy.refusal(held.refusal), context)
      else if (failed === undefined) answerFailure(res)
      else failed(context)
      return false
    }
    if (res.closed) {
      held.release()
      granted.release()
      return false
    }
    res.on('close', held.release)
    return true
  }

  /** Lets the admitted request in; see the class for what a throw there becomes. */
  #enter<C>(
    res: ServerResponse,
    context: C,
    admitted: () => void,
    refused: (error: ShedError, context: C) => void,
    policy: RequestPolicy<Req>,
    granted: { readonly release: () => void },
    waited: boolean,
  ): void {
    try {
      admitted()
    } catch (thrown) {
      // A refusal raised inside the handler (`pressure.reserve()`, `shed.run()`) is answered as one at the door.
      if (isShedError(thrown) && !res.headersSent) return refused(policy.refusal(thrown), context)
      if (!waited) throw thrown
      this.#target.report(thrown)
      granted.release()
      answerFailure(res)
    }
  }
}
