import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { ShedError } from '../degrade/shed/error.js'
import { checkOptions, optionKeys } from '../util/validate.js'
import { FAILURE, refusal, type Answer } from './answers.js'
import { HttpGuard, type PassOptions } from './node/guard.js'
import type { ShedMiddlewareOptions } from './node/middleware.js'
import { GUARD_OPTION_KEYS, isShedError, RequestPolicy, type RouteOptions as OwnRouteOptions } from './policy.js'
import { targetOf, type GuardTarget } from './target.js'

/** A route's own heapguard options: `config: { heapguard: { priority, bytes } }`; what it leaves out comes from the plugin's. */
export type HeapguardRouteConfig = OwnRouteOptions<FastifyRequest>

declare module 'fastify' {
  interface FastifyContextConfig {
    /** heapguard's options for this route: a priority (or a function of the request) and the bytes it reserves. */
    heapguard?: HeapguardRouteConfig
  }
}

/** `app.register(heapguardFastify, { pressure, priority?, retryAfter?, bytes? })`. */
export interface HeapguardFastifyOptions extends ShedMiddlewareOptions<FastifyRequest> {
  /** The controller from `createController()` or `sharedController()` (its `shed` and `report` are used). */
  pressure: GuardTarget
}

const WHERE = 'heapguardFastify'
/** Keys Fastify's `register()` itself understands; they may travel with the plugin options. */
interface RegisterKeys {
  prefix?: unknown
  logLevel?: unknown
  logSerializers?: unknown
}
const PLUGIN_OPTION_KEYS = [
  ...optionKeys<Pick<HeapguardFastifyOptions, 'pressure'> & RegisterKeys>({
    pressure: true,
    prefix: true,
    logLevel: true,
    logSerializers: true,
  }),
  ...GUARD_OPTION_KEYS,
] as const

/** Writes one of the guards' answers (http/answers.ts); answering from the hook without calling its `done` ends the request. */
function send(reply: FastifyReply, answer: Answer): void {
  reply.code(answer.status).headers(answer.headers).send(answer.body)
}

function refuse(error: ShedError, reply: FastifyReply): void {
  send(reply, refusal(error))
}

/** A request whose `bytes` failed (reported already), or whose route's heapguard config is broken. */
function fail(reply: FastifyReply): void {
  send(reply, FAILURE)
}

const PLAIN: PassOptions<FastifyRequest, FastifyReply> = Object.freeze({ failed: fail })

/**
 * Each route's pass options, from its `config.heapguard` (checked once per route, when declared
 * after the plugin; routes declared before it are checked at their first request).
 */
function routeOptions(
  guard: HttpGuard<FastifyRequest>,
  report: (error: unknown) => void,
): (request: FastifyRequest) => PassOptions<FastifyRequest, FastifyReply> | undefined {
  const known = new WeakMap<object, PassOptions<FastifyRequest, FastifyReply> | undefined>()
  return (request) => {
    const own = (request.routeOptions.config as { heapguard?: unknown } | undefined)?.heapguard
    if (own === undefined) return PLAIN
    if (typeof own === 'object' && own !== null && known.has(own)) return known.get(own)
    let options: PassOptions<FastifyRequest, FastifyReply> | undefined
    try {
      options = Object.freeze({ failed: fail, policy: guard.routePolicy(where(request.routeOptions), own) })
    } catch (error) {
      report(error)
    }
    if (typeof own === 'object' && own !== null) known.set(own, options)
    return options
  }
}

type ErrorHandler = NonNullable<RouteOptions['errorHandler']>

/**
 * A route's error handler that answers a `ShedError` (a refusal raised inside the handler or a
 * hook: `pressure.reserve()`, `shed.run()`) with the 503 of a refusal at the door. A route-level
 * handler, not `setErrorHandler`: Fastify allows one of those per context, and it is the
 * application's. Any other error goes to the route's own handler, or (rethrown) to the context's.
 */
function answeringRefusals(own: ErrorHandler | undefined, policy: RequestPolicy<FastifyRequest>): ErrorHandler {
  return function heapguardRefusals(this: FastifyInstance, error, request, reply) {
    if (isShedError(error) && !reply.sent) return refuse(policy.refusal(error), reply)
    if (own !== undefined) return own.call(this, error, request, reply)
    throw error
  }
}

function where(route: { method?: unknown; url?: unknown }): string {
  const method = Array.isArray(route.method) ? route.method.join(',') : String(route.method)
  return `${WHERE}: route ${method} ${String(route.url)}`
}

function plugin(fastify: FastifyInstance, options: HeapguardFastifyOptions, done: (error?: Error) => void): void {
  try {
    const { pressure, priority, retryAfter, bytes } = checkOptions<HeapguardFastifyOptions & RegisterKeys>(
      WHERE,
      'options',
      options,
      PLUGIN_OPTION_KEYS,
    )
    const target = targetOf(WHERE, pressure)
    const policy = RequestPolicy.of<FastifyRequest>(WHERE, { priority, retryAfter, bytes }, 'function')
    const guard = new HttpGuard<FastifyRequest>(target, policy)
    // A route's bad heapguard config fails its declaration, like any bad option.
    fastify.addHook('onRoute', (route) => {
      const own = (route.config as { heapguard?: unknown } | undefined)?.heapguard
      if (own !== undefined) guard.routePolicy(where(route), own)
      route.errorHandler = answeringRefusals(route.errorHandler, policy)
    })
    const optionsOf = routeOptions(guard, target.report)
    // A callback hook, not an async one: an admission at level normal costs no promise.
    fastify.addHook('onRequest', (request, reply, hookDone) => {
      const options = optionsOf(request)
      if (options === undefined) fail(reply)
      else guard.pass(request, reply.raw, reply, hookDone, refuse, options)
    })
    done()
  } catch (error) {
    done(error as Error)
  }
}

// What fastify-plugin does, without depending on it: skip-override makes the hook apply to the
// whole app instead of an encapsulated child context; the meta names the plugin and the versions.
const marked = plugin as FastifyPluginCallback<HeapguardFastifyOptions> & Record<symbol, unknown>
marked[Symbol.for('skip-override')] = true
marked[Symbol.for('fastify.display-name')] = 'heapguard'
marked[Symbol.for('plugin-meta')] = { name: 'heapguard', fastify: '4.x || 5.x' }

/**
 * Load shedding for Fastify 4 and 5, app-wide: an `onRequest` hook admits, queues or refuses
 * each request (503, `Retry-After`, `{ error, level, retryAfter }`); an admitted request holds
 * its slot, and the bytes it reserves (`bytes`, or the route's `config.heapguard.bytes`), until
 * its response closes.
 */
export const heapguardFastify: FastifyPluginCallback<HeapguardFastifyOptions> = marked
