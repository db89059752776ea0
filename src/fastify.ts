/**
 * `heapguard/fastify`: the Fastify plugin. Fastify is an optional peer dependency; only this
 * entry refers to it, and only for types.
 */
import { heapguardFastify } from './http/fastify.js'

export { heapguardFastify }
export type { HeapguardFastifyOptions, HeapguardRouteConfig } from './http/fastify.js'
export default heapguardFastify
