/**
 * `heapguard/hono`: the Hono middleware. Hono is an optional peer dependency; only this entry
 * refers to it, and only for types.
 */
import { heapguardHono } from './http/hono.js'

export { heapguardHono }
export type { HeapguardHonoOptions } from './http/hono.js'
export default heapguardHono
