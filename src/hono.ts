/**
 * `heapguard/hono`: the Hono middleware. Hono is an optional peer dependency; only this entry
 * refers to it, and only for types.
 */
import { heapguardHono } from './degrade/shed/web/hono.js'

export { heapguardHono }
export type { HeapguardHonoOptions } from './degrade/shed/web/hono.js'
export default heapguardHono
