import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import { checkOptions, optionKeys } from '../../../util/validate.js'
import { guardTargetOf, HttpGuard, type GuardTarget, type ShedHttpOptions } from './guard.js'
import { REFUSAL_STATUS, refusalBody, refusalHeaders } from './refusal.js'
import type { ShedError } from '../error.js'

/** `app.register(heapguardFastify, { pressure, priority?, retryAfter? })`. */
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
  prefix: true,
  logLevel: true,
  logSerializers: true,
})

/** Answering from the hook without calling its `done` ends the request here. */
function refuse(error: ShedError, reply: FastifyReply): void {
  reply.code(REFUSAL_STATUS).headers(refusalHeaders(error)).send(refusalBody(error))
}

function plugin(fastify: FastifyInstance, options: HeapguardFastifyOptions, done: (error?: Error) => void): void {
  try {
    const { pressure, ...guardOptions } = checkOptions<HeapguardFastifyOptions & RegisterKeys>(
      WHERE,
      'options',
      options,
      PLUGIN_OPTION_KEYS,
    )
    const guard = new HttpGuard<FastifyRequest>(guardTargetOf(WHERE, pressure), WHERE, guardOptions, REGISTER_KEYS)
    // A callback hook, not an async one: an admission at level normal costs no promise.
    fastify.addHook('onRequest', (request, reply, hookDone) => {
      guard.pass(request, reply.raw, reply, hookDone, refuse)
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
 * its slot until its response closes.
 */
export const heapguardFastify: FastifyPluginCallback<HeapguardFastifyOptions> = marked
