import { checkNumber, checkOptions } from '../util/validate.js'

/**
 * A cheap guess at how many bytes of heap a value keeps alive. It is an ESTIMATE, not a
 * measurement: V8 does not expose object sizes, shared strings and hidden classes are counted
 * once per use, and big structures are sampled.
 *
 * - strings: 2 bytes a character plus a 16-byte header
 * - Buffers, typed arrays, DataViews, ArrayBuffers: their `byteLength` plus a small header
 * - numbers 8, booleans / null / undefined 4, bigints by their bit length
 * - arrays, plain objects (and class instances' own enumerable properties), Maps and Sets:
 *   a header, an 8-byte slot per element or property, property names, and the children,
 *   walked to a bounded depth and a bounded number of visited values. When the budget runs out
 *   inside a container, the rest of it is extrapolated from the average of the children seen
 *   (an object's remaining strings, numbers and binary values are still sized exactly: they cost
 *   nothing to walk, and a large string must not be averaged away).
 *
 * Cycles and shared references are not tracked (the bounds stop the walk), so shared data is
 * counted at every place it appears: the estimate errs high, which suits a memory budget.
 * Always returns a whole number ≥ 1 and never throws on any value (bad `options` throw).
 */
export function estimateSize(value: unknown, options?: EstimateSizeOptions): number {
  return measure(
    value,
    options === undefined ? { left: DEFAULT_MAX_NODES, maxDepth: DEFAULT_MAX_DEPTH } : walkFor(options),
  )
}

/**
 * `estimateSize(value, { maxNodes })` without the option checks, for the default
 * `sizeCalculation`, which runs on every `set`.
 */
export function estimateSizeWithin(value: unknown, maxNodes: number): number {
  return measure(value, { left: maxNodes, maxDepth: DEFAULT_MAX_DEPTH })
}

function measure(value: unknown, walk: Walk): number {
  let bytes: number
  try {
    bytes = sizeOf(value, 0, walk)
  } catch {
    // A Proxy or a throwing getter: fall back to the size of an opaque object.
    bytes = OPAQUE
  }
  return Number.isFinite(bytes) && bytes >= 1 ? Math.ceil(bytes) : 1
}

export interface EstimateSizeOptions {
  /** Containers deeper than this count as an opaque object. Default 8. */
  maxDepth?: number
  /** At most this many values are visited; the rest is extrapolated. Default 1,000. */
  maxNodes?: number
}

const DEFAULT_MAX_NODES = 1000
const DEFAULT_MAX_DEPTH = 8

/** Checked only when options are given (the default `sizeCalculation` uses estimateSizeWithin, unchecked). */
function walkFor(options: unknown): Walk {
  const W = 'estimateSize'
  const { maxNodes, maxDepth } = checkOptions<EstimateSizeOptions>(W, 'options', options, ['maxNodes', 'maxDepth'])
  return {
    left:
      maxNodes === undefined
        ? DEFAULT_MAX_NODES
        : checkNumber(W, 'option `maxNodes`', maxNodes, { min: 1, integer: true }),
    maxDepth:
      maxDepth === undefined
        ? DEFAULT_MAX_DEPTH
        : checkNumber(W, 'option `maxDepth`', maxDepth, { min: 0, integer: true }),
  }
}

const STRING_HEADER = 16
const SLOT = 8
const OBJECT_HEADER = 32
const ARRAY_HEADER = 32
const COLLECTION_HEADER = 64
const COLLECTION_ENTRY = 24
const VIEW_HEADER = 64
const BUFFER_HEADER = 32
const OPAQUE = 64

interface Walk {
  /** Values the walk may still visit. */
  left: number
  readonly maxDepth: number
}

function sizeOf(value: unknown, depth: number, walk: Walk): number {
  walk.left--
  const leaf = leafSize(value)
  if (leaf !== undefined) return leaf
  const object = value as object
  if (depth >= walk.maxDepth || walk.left <= 0) return OPAQUE
  if (Array.isArray(object)) return ARRAY_HEADER + SLOT * object.length + elementsOf(object, depth + 1, walk)
  if (object instanceof Map) {
    return COLLECTION_HEADER + COLLECTION_ENTRY * object.size + pairsOf(object, depth + 1, walk)
  }
  if (object instanceof Set) {
    return COLLECTION_HEADER + COLLECTION_ENTRY * object.size + membersOf(object, depth + 1, walk)
  }
  return OBJECT_HEADER + propertiesOf(object as Record<string, unknown>, depth + 1, walk)
}

/** The size of a value that has no children to walk (primitives, binary data, dates), else undefined. */
function leafSize(value: unknown): number | undefined {
  switch (typeof value) {
    case 'string':
      return STRING_HEADER + 2 * value.length
    case 'number':
      return 8
    case 'boolean':
    case 'undefined':
      return 4
    case 'bigint':
      return 16 + Math.ceil(value.toString(16).length / 16) * 8
    case 'symbol':
      return 16
    case 'function':
      return OPAQUE
  }
  if (value === null) return 4
  const object = value as object
  if (ArrayBuffer.isView(object)) return VIEW_HEADER + object.byteLength
  if (object instanceof ArrayBuffer) return BUFFER_HEADER + object.byteLength
  if (object instanceof Date) return OBJECT_HEADER
  return undefined
}

/** The sum over `count` children, extrapolating those the budget leaves unvisited. */
function extrapolate(sum: number, visited: number, count: number): number {
  if (visited === count) return sum
  const average = visited === 0 ? OPAQUE : sum / visited
  return sum + average * (count - visited)
}

function elementsOf(array: readonly unknown[], depth: number, walk: Walk): number {
  let sum = 0
  let i = 0
  for (; i < array.length && walk.left > 0; i++) sum += sizeOf(array[i], depth, walk)
  return extrapolate(sum, i, array.length)
}

function pairsOf(map: Map<unknown, unknown>, depth: number, walk: Walk): number {
  let sum = 0
  let visited = 0
  for (const [key, value] of map) {
    if (walk.left <= 0) break
    sum += sizeOf(key, depth, walk) + sizeOf(value, depth, walk)
    visited++
  }
  return extrapolate(sum, visited, map.size)
}

function membersOf(set: Set<unknown>, depth: number, walk: Walk): number {
  let sum = 0
  let visited = 0
  for (const member of set) {
    if (walk.left <= 0) break
    sum += sizeOf(member, depth, walk)
    visited++
  }
  return extrapolate(sum, visited, set.size)
}

function propertiesOf(object: Record<string, unknown>, depth: number, walk: Walk): number {
  let sum = 0
  let visited = 0
  let count = 0
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue
    count++
    // Out of budget, a leaf is still sized exactly (the loop visits every key anyway, to count
    // them); only nested containers are left to the extrapolation.
    const bytes = walk.left > 0 ? sizeOf(object[key], depth, walk) : leafSize(object[key])
    if (bytes === undefined) continue
    sum += SLOT + STRING_HEADER + 2 * key.length + bytes
    visited++
  }
  return extrapolate(sum, visited, count)
}
