import v8 from 'node:v8'
import type { Source } from '../types.js'
import { checkNumber, checkOptions, checkString } from '../../util/validate.js'

const W = 'externalSource'

export interface ExternalSourceOptions {
  /** Source name; default `'external'`. */
  name?: string
  /** The byte budget for memory outside the V8 heap; required. */
  limit: number
}

/** `external_memory` is in `v8.getHeapStatistics()` from Node 20.? on; older builds need `process.memoryUsage()` (which reads RSS too). */
const hasHeapStatExternal =
  typeof (v8.getHeapStatistics() as { external_memory?: unknown }).external_memory === 'number'

/** Bytes of memory outside the V8 heap held by JavaScript objects now: Buffers, ArrayBuffers, native objects. */
export function externalMemory(): number {
  return hasHeapStatExternal
    ? (v8.getHeapStatistics() as { external_memory: number }).external_memory
    : process.memoryUsage().external
}

/**
 * Memory outside the V8 heap (Buffers, ArrayBuffers, what native addons report to V8) against a
 * byte budget of your own. Node's `external` figure already includes `arrayBuffers` (every
 * Buffer), so it is counted once. It is read from `v8.getHeapStatistics()` (≈ 0.4 µs) rather than
 * `process.memoryUsage()` (≈ 13 µs: it reads RSS too), where Node has it there.
 */
export function externalSource(options: ExternalSourceOptions): Source {
  const o = checkOptions<ExternalSourceOptions>(W, 'options', options, ['name', 'limit'])
  const name = o.name === undefined ? 'external' : checkString(W, 'option `name`', o.name)
  if (o.limit === undefined) {
    throw new TypeError(`${W}: option \`limit\` (the byte budget) is required, got undefined`)
  }
  const limit = checkNumber(W, 'option `limit`', o.limit, { above: 0 })
  return { name, read: () => ({ used: externalMemory(), limit }) }
}
