import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkFunction, checkOptions, describe } from '../validate.js'
import { isPriority, PRIORITIES, type Priority } from './priority.js'
import type { ShedError } from './shed-error.js'
import { checkRetryAfter } from './shed-options.js'
import type { PermitCallback, ShedPermit } from './shed-permit.js'

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
  acquire(priority: Priority, callback: PermitCallback, retryAfter: number): ShedPermit
  report(error: unknown): void
  /** The controller's default `Retry-After`. */
  readonly retryAfter: number
}

/**
 * One HTTP request's passage through the shedder: its priority, the decision, and a slot held
 * until the response closes. Node emits `'close'` on the response both after it finished and
 * when the client went away first, so one listener covers both, and the idempotent permit
 * makes a second call harmless.
 */
export class HttpGuard<Req> {
  readonly #shedder: GuardedShedder
  readonly #priorityOf: ((req: Req) => Priority) | undefined
  readonly #retryAfter: number

  constructor(shedder: GuardedShedder, where: string, options: unknown) {
    const { priority, retryAfter } = checkOptions<ShedHttpOptions<Req>>(where, 'options', options, ['priority', 'retryAfter'])
    this.#shedder = shedder
    this.#priorityOf = priority === undefined ? undefined : checkFunction(where, 'option `priority`', priority)
    this.#retryAfter = retryAfter === undefined ? shedder.retryAfter : checkRetryAfter(where, 'option `retryAfter`', retryAfter)
  }

  /**
   * Calls `admitted` once the request holds a slot (at once, or after waiting in the queue) or
   * `refused` with the reason (and the response, so that it can be a shared function rather
   * than a closure per request); a request whose client left while it waited gets `gone`.
   */
  pass(
    req: Req,
    res: ServerResponse,
    admitted: () => void,
    refused: (error: ShedError, res: ServerResponse) => void,
    gone?: () => void,
  ): void {
    if (res.closed) {
      // Its 'close' has already fired: a slot taken now would never be given back.
      admitted()
      return
    }
    const priority = this.#priorityOf === undefined ? 'normal' : this.#priorityFor(req)
    const permit = this.#shedder.acquire(priority, (error) => (error === undefined ? admitted() : refused(error, res)), this.#retryAfter)
    // `on`, not `once`: 'close' comes once anyway, and once's wrapper costs more than the rest.
    if (permit.state === 'admitted') {
      res.on('close', () => permit.release())
    } else if (permit.state === 'waiting') {
      res.on('close', () => {
        const waited = permit.state === 'waiting'
        permit.release()
        if (waited) gone?.()
      })
    }
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
      new TypeError(`heapguard shed: option \`priority\` must return one of ${PRIORITIES.map((p) => `'${p}'`).join(', ')}, got ${describe(priority)}; treated as 'normal'`),
    )
    return 'normal'
  }
}
