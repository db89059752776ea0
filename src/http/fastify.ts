import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import { checkOptions, optionKeys } from '../util/validate.js'
import { HttpGuard, type PassOptions, type RouteGuardOptions, type ShedHttpOptions } from './node/guard.js'
import { guardTargetOf, type GuardTarget } from './target.js'
import { REFUSAL_STATUS, refusalBody, refusalHeaders } from './answers.js'
import type { ShedError } from '../degrade/shed/error.js'

/** A route's own heapguard options: `config: { heapguard: { priority, bytes } }`; what it leaves out comes from the plugin's. */
export type HeapguardRouteConfig = RouteGuardOptions<FastifyRequest>

declare module 'fastify' {
  interface FastifyContextConfig {
    /** heapguard's options for this route: a priority (or a function of the request) and the bytes it reserves. */
    heapguard?: HeapguardRouteConfig
  }
}

/** `app.register(heapguardFastify, { pressure, priority?, retryAfter?, bytes? })`. */
export interface HeapguardFastifyOptions extends ShedHttpOptions<FastifyRequest> {
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
const REGISTER_KEYS: readonly (keyof RegisterKeys)[] = ['prefix', 'logLevel', 'logSerializers']
const PLUGIN_OPTION_KEYS = optionKeys<HeapguardFastifyOptions & RegisterKeys>({
  pressure: true,
  priority: true,
  retryAfter: true,
  bytes: true,
  prefix: true,
  logLevel: true,
  logSerializers: true,
})

/** Answering from the hook without calling its `done` ends the request here. */
function refuse(error: ShedError, reply: FastifyReply): void {
  reply.code(REFUSAL_STATUS).headers(refusalHeaders(error)).send(refusalBody(error))
}

/** A request whose `bytes` failed (reported already), or whose route's heapguard config is broken. */
function fail(reply: FastifyReply): void {
  reply.code(500).send({ error: 'Internal Server Error' })
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
      options = Object.freeze({ failed: fail, policy: guard.policyFor(where(request.routeOptions), own) })
    } catch (error) {
      report(error)
    }
    if (typeof own === 'object' && own !== null) known.set(own, options)
    return options
  }
}

function where(route: { method?: unknown; url?: unknown }): string {
  const method = Array.isArray(route.method) ? route.method.join(',') : String(route.method)
  return `${WHERE}: route ${method} ${String(route.url)}`
}

function plugin(fastify: FastifyInstance, options: HeapguardFastifyOptions, done: (error?: Error) => void): void {
  try {
    const { pressure, ...guardOptions } = checkOptions<HeapguardFastifyOptions & RegisterKeys>(
      WHERE,
      'options',
      options,
      PLUGIN_OPTION_KEYS,
    )
    const target = guardTargetOf(WHERE, pressure)
    const guard = new HttpGuard<FastifyRequest>(target, WHERE, guardOptions, REGISTER_KEYS)
    // A route's bad heapguard config fails its declaration, like any bad option.
    fastify.addHook('onRoute', (route) => {
      const own = (route.config as { heapguard?: unknown } | undefined)?.heapguard
      if (own !== undefined) guard.policyFor(where(route), own)
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
