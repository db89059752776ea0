import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkFunction, checkOptions, describe } from '../../../util/validate.js'
import { isPriority, PRIORITIES, type Priority } from '../priority.js'
import type { ShedError } from '../error.js'
import { checkRetryAfter } from '../options.js'
import { whenDecided, type ShedPermit } from '../permit.js'

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
}

/** What a guard needs from the shedder: admission on checked arguments, and error reporting. */
export interface GuardedShedder {
  /** True when some level has a concurrency limit: requests then go through permits and the queue. */
  readonly limited: boolean
  /** Admission with a permit: decided at once (admitted or refused), or waiting for a slot. */
  decide(priority: Priority, retryAfter: number): ShedPermit
  /** Admission when no level has a limit: takes a slot and returns null, or returns the refusal. */
  admitNow(priority: Priority, retryAfter: number): ShedError | null
  /** Gives back a slot taken by `admitNow`; one shared function, so no closure per request. */
  readonly releaseSlot: () => void
  report(error: unknown): void
  /** The controller's default `Retry-After`. */
  readonly retryAfter: number
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
  readonly #shedder: GuardedShedder
  readonly #priorityOf: ((req: Req) => Priority) | undefined
  readonly #retryAfter: number

  constructor(shedder: GuardedShedder, where: string, options: unknown) {
    const { priority, retryAfter } = checkOptions<ShedHttpOptions<Req>>(where, 'options', options, [
      'priority',
      'retryAfter',
    ])
    this.#shedder = shedder
    this.#priorityOf = priority === undefined ? undefined : checkFunction(where, 'option `priority`', priority)
    this.#retryAfter =
      retryAfter === undefined ? shedder.retryAfter : checkRetryAfter(where, 'option `retryAfter`', retryAfter)
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
    gone?: () => void,
  ): void {
    if (res.closed) {
      // Its 'close' has already fired: a slot taken now would never be given back.
      admitted()
      return
    }
    const priority = this.#priorityOf === undefined ? 'normal' : this.#priorityFor(req)
    const shedder = this.#shedder
    if (!shedder.limited) {
      // No level limits concurrency: a table lookup and a counter, no permit, no closure.
      const refusal = shedder.admitNow(priority, this.#retryAfter)
      if (refusal !== null) return refused(refusal, context)
      // `on`, not `once`: 'close' comes once anyway, and once's wrapper costs more than the rest.
      res.on('close', shedder.releaseSlot)
      return admitted()
    }
    const permit = shedder.decide(priority, this.#retryAfter)
    if (permit.state === 'admitted') {
      res.on('close', () => permit.release())
      return admitted()
    }
    if (permit.state === 'refused') return refused(permit.refusal!, context)
    permit[whenDecided]((error) => {
      if (error !== undefined) return refused(error, context)
      try {
        admitted()
      } catch (thrown) {
        shedder.report(thrown)
        permit.release()
        answerFailure(res)
      }
    })
    res.on('close', () => {
      const waited = permit.state === 'waiting'
      permit.release()
      if (waited) gone?.()
    })
  }

  /** A broken priority function must not take the server down: report it, treat the request as normal. */
  #priorityFor(req: Req): Priority {
    let priority: unknown
    try {
      priority = this.#priorityOf!(req)
    } catch (error) {
      this.#shedder.report(error)
      return 'normal'
    }
    if (isPriority(priority)) return priority
    this.#shedder.report(
      new TypeError(
        `heapguard shed: option \`priority\` must return one of ${PRIORITIES.map((p) => `'${p}'`).join(', ')}, got ${describe(priority)}; treated as 'normal'`,
      ),
    )
    return 'normal'
  }
}

const FAILURE_BODY = JSON.stringify({ error: 'Internal Server Error' })

/** The request's handler threw after a wait, with nobody up the stack to answer: answer here. */
function answerFailure(res: ServerResponse): void {
  if (!res.headersSent) {
    res.writeHead(500, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(FAILURE_BODY.length),
    })
    res.end(FAILURE_BODY)
  } else if (!res.writableEnded) {
    // Half an answer is already out: ending the connection is the only honest end.
    res.destroy()
  }
}
