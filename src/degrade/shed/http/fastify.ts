import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import { checkOptions, describe } from '../../../util/validate.js'
import type { ShedHttpOptions } from './guard.js'
import { REFUSAL_STATUS, refusalBody, refusalHeaders } from './refusal.js'
import type { ShedError } from '../error.js'
import { HTTP_GUARD, type Shedder } from '../shedder.js'

/** `app.register(heapguardFastify, { pressure, priority?, retryAfter? })`. */
export interface HeapguardFastifyOptions extends ShedHttpOptions<FastifyRequest> {
  /** The controller from `createController()` (only its `shed` is used). */
  pressure: { readonly shed: Shedder }
}

const WHERE = 'heapguardFastify'
/** Keys Fastify's `register()` itself understands; they may travel with the plugin options. */
const REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers']

/** Answering from the hook without calling its `done` ends the request here. */
function refuse(error: ShedError, reply: FastifyReply): void {
  reply.code(REFUSAL_STATUS).headers(refusalHeaders(error)).send(refusalBody(error))
}

function plugin(fastify: FastifyInstance, options: HeapguardFastifyOptions, done: (error?: Error) => void): void {
  try {
    const { pressure, priority, retryAfter } = checkOptions<HeapguardFastifyOptions>(WHERE, 'options', options, [
      'pressure',
      'priority',
      'retryAfter',
      ...REGISTER_KEYS,
    ])
    // Duck-typed: a controller from the CommonJS build must work with this ESM plugin and back.
    if (typeof (pressure as { shed?: { [HTTP_GUARD]?: unknown } } | undefined)?.shed?.[HTTP_GUARD] !== 'function') {
      throw new TypeError(
        `${WHERE}: option \`pressure\` must be the controller from createController(), got ${describe(pressure)}`,
      )
    }
    const guardOptions: ShedHttpOptions<FastifyRequest> = {}
    if (priority !== undefined) guardOptions.priority = priority
    if (retryAfter !== undefined) guardOptions.retryAfter = retryAfter
    const guard = pressure!.shed[HTTP_GUARD]<FastifyRequest>(WHERE, guardOptions)
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
