import { checkNumber, checkOptions } from '../util/validate.js'

/**
 * A cheap guess at how many bytes of heap a value keeps alive, by the layout V8 uses on 64-bit
 * Node. It is an ESTIMATE, not a measurement: V8 does not expose object sizes, and big structures
 * are sampled. Measured against real heap growth in bench/estimate-accuracy.bench.mjs (within
 * ±25 % for strings, Buffers and plain objects; the figures per shape are in BENCHMARKS.md).
 *
 * - strings: a 16-byte header plus one byte a character when every character is at most U+00FF
 *   (V8 stores those one byte a character), two otherwise; rounded up to 8. A string longer than
 *   3,072 characters is judged by its first, middle and last 1,024 characters, so the cost stays
 *   bounded. Strings built by `+` and slices of bigger strings are counted as if flat.
 * - Buffers, typed arrays, DataViews: their `byteLength` plus the view's header (and its
 *   ArrayBuffer's, unless the view starts inside a shared one, as pooled Buffers do);
 *   ArrayBuffers: `byteLength` plus a header. A view counts its own bytes, not the rest of a
 *   buffer it shares.
 * - numbers: nothing beyond the slot that holds them for small integers, 16 bytes for others (a
 *   boxed double) except inside arrays, where V8 keeps doubles unboxed; booleans, null and
 *   undefined: nothing (they are shared); bigints by their bit length; Dates 112 bytes.
 * - plain objects (and class instances' own enumerable properties): a header and an 8-byte slot
 *   per property, as V8 lays out objects that share their shape (rows of one query, instances of
 *   one class share the property names, so names are not counted); above 128 properties, a hash
 *   table of 24 bytes a slot. Arrays: a header and 8 bytes an element; Maps and Sets: their hash
 *   table (28 and 20 bytes a slot, slots a power of two). Children are added, walked to a bounded
 *   depth and a bounded number of visited values. When the budget runs out inside a container,
 *   the rest of it is extrapolated from the average of the children seen (an object's remaining
 *   strings, numbers and binary values are still sized exactly: they cost nothing to walk, and a
 *   large string must not be averaged away).
 *
 * Cycles and shared references are not tracked (the bounds stop the walk), so shared data is
 * counted at every place it appears. An object V8 keeps as a dictionary (more than a dozen or so
 * computed keys assigned one by one, or a key deleted) costs more than estimated: about 40 bytes a
 * property instead of 8. A string built by `+` costs up to a third more than a flat one; a slice
 * of a bigger string costs less (it points into its parent).
 * Always returns a whole number ≥ 1 (the least size lru-cache accepts) and never throws on any
 * value (bad `options` throw).
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

// V8's layout on 64-bit Node without pointer compression (Node's default build), in bytes.
const STRING_HEADER = 16
const SLOT = 8
const OBJECT_HEADER = 24
/** Above this many properties V8 keeps an object's properties in a hash table (dictionary mode). */
const FAST_PROPERTIES = 128
const DICTIONARY_SLOT = 24
const ARRAY_HEADER = 32
/** An array's elements store, when it has elements. */
const ELEMENTS_HEADER = 16
const HEAP_NUMBER = 16
const DATE = 112
/** A Map's or Set's object and its hash table's fixed part; the table has a power-of-two number of slots, at least 4. */
const COLLECTION_HEADER = 72
const MAP_SLOT = 28
const SET_SLOT = 20
const VIEW_HEADER = 96
const BUFFER_HEADER = 88
const OPAQUE = 64

/** A character V8 cannot store in one byte. */
const WIDE_CHAR = /[\u0100-\uffff]/
/** Characters looked at in each of the three parts of a long string. */
const STRING_WINDOW = 1024

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
  if (Array.isArray(object)) {
    const length = object.length
    return ARRAY_HEADER + (length === 0 ? 0 : ELEMENTS_HEADER + SLOT * length) + elementsOf(object, depth + 1, walk)
  }
  if (object instanceof Map) {
    return COLLECTION_HEADER + MAP_SLOT * tableSlots(object.size) + pairsOf(object, depth + 1, walk)
  }
  if (object instanceof Set) {
    return COLLECTION_HEADER + SET_SLOT * tableSlots(object.size) + membersOf(object, depth + 1, walk)
  }
  return OBJECT_HEADER + propertiesOf(object as Record<string, unknown>, depth + 1, walk)
}

/** Slots of a V8 hash table holding `count` entries: a power of two, at least 4. */
function tableSlots(count: number): number {
  return count <= 4 ? 4 : 2 ** (32 - Math.clz32(count - 1))
}

/** The size of a value that has no children to walk (primitives, binary data, dates), else undefined. */
function leafSize(value: unknown): number | undefined {
  switch (typeof value) {
    case 'string':
      return stringSize(value)
    case 'number':
      // Small integers live in the slot itself; other numbers are boxed.
      return (value | 0) === value ? 0 : HEAP_NUMBER
    case 'boolean':
    case 'undefined':
      return 0
    case 'bigint':
      return 16 + Math.ceil(value.toString(16).length / 16) * 8
    case 'symbol':
      return 16
    case 'function':
      return OPAQUE
  }
  if (value === null) return 0
  const object = value as object
  if (ArrayBuffer.isView(object)) {
    // A view that starts inside its buffer shares it (a pooled Buffer): its header is someone else's.
    return VIEW_HEADER + (object.byteOffset === 0 ? BUFFER_HEADER : 0) + object.byteLength
  }
  if (object instanceof ArrayBuffer) return BUFFER_HEADER + object.byteLength
  if (object instanceof Date) return DATE
  return undefined
}

/** One byte a character when no character is above U+00FF (a long string is judged by three parts of it), else two. */
function stringSize(value: string): number {
  const length = value.length
  // On a string V8 stores one byte a character the test fails at once, whatever its length.
  const wide =
    length <= 3 * STRING_WINDOW
      ? WIDE_CHAR.test(value)
      : WIDE_CHAR.test(value.slice(0, STRING_WINDOW)) ||
        WIDE_CHAR.test(value.slice((length - STRING_WINDOW) >> 1, (length + STRING_WINDOW) >> 1)) ||
        WIDE_CHAR.test(value.slice(length - STRING_WINDOW))
  return Math.ceil((STRING_HEADER + (wide ? 2 * length : length)) / 8) * 8
}

/** The sum over `count` children, extrapolating those the budget leaves unvisited. */
function extrapolate(sum: number, visited: number, count: number): number {
  if (visited === count) return sum
  const average = visited === 0 ? OPAQUE : sum / visited
  return sum + average * (count - visited)
}

/**
 * True when the budget ran out inside the child just sized, so that it was only partly walked and
 * is left out: the average of the complete children before it stands for it. The first child is
 * kept even so (there is no average without it).
 */
function cutShort(walk: Walk, complete: number): boolean {
  return walk.left <= 0 && complete > 0
}

function elementsOf(array: readonly unknown[], depth: number, walk: Walk): number {
  let sum = 0
  let i = 0
  for (; i < array.length && walk.left > 0; i++) {
    const element = array[i]
    if (typeof element === 'number') {
      walk.left-- // unboxed, or a small integer: the slot is all it costs
      continue
    }
    const bytes = sizeOf(element, depth, walk)
    if (cutShort(walk, i)) break
    sum += bytes
  }
  return extrapolate(sum, i, array.length)
}

function pairsOf(map: Map<unknown, unknown>, depth: number, walk: Walk): number {
  let sum = 0
  let visited = 0
  for (const [key, value] of map) {
    if (walk.left <= 0) break
    const bytes = sizeOf(key, depth, walk) + sizeOf(value, depth, walk)
    if (cutShort(walk, visited)) break
    sum += bytes
    visited++
  }
  return extrapolate(sum, visited, map.size)
}

function membersOf(set: Set<unknown>, depth: number, walk: Walk): number {
  let sum = 0
  let visited = 0
  for (const member of set) {
    if (walk.left <= 0) break
    const bytes = sizeOf(member, depth, walk)
    if (cutShort(walk, visited)) break
    sum += bytes
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
    sum += bytes
    visited++
  }
  const slots = count <= FAST_PROPERTIES ? SLOT * count : DICTIONARY_SLOT * 2 ** Math.ceil(Math.log2(count * 1.5))
  return slots + extrapolate(sum, visited, count)
}
