/**
 * `heapguard/fastify`: the Fastify plugin. Fastify is an optional peer dependency; only this
 * entry refers to it, and only for types.
 */
import { heapguardFastify } from './degrade/fastify-plugin.js'

export { heapguardFastify }
export type { HeapguardFastifyOptions } from './degrade/fastify-plugin.js'
export default heapguardFastify
