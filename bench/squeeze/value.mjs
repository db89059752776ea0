// The "expensive computation" whose result the server caches: a ~10 KB value built from the key.

/** Length of a computed value in characters (one byte each: V8 stores it as a one-byte string). */
export const VALUE_CHARS = 10_240

const PIECES = 160
const PIECE_CHARS = VALUE_CHARS / PIECES

/**
 * Builds the value for `key`: 160 hashed pieces joined into one flat 10 KB string, the way a
 * serializer assembles a rendered page or a JSON document (≈ 0.1 ms of work).
 * The string lives on the V8 heap, as cached values do; a Buffer would hide it off-heap.
 */
export function computeValue(key) {
  let h = 2166136261
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619)
  const pieces = new Array(PIECES)
  for (let i = 0; i < PIECES; i++) {
    h = Math.imul(h ^ i, 16777619) >>> 0
    pieces[i] = h
      .toString(36)
      .padStart(8, '0')
      .repeat(PIECE_CHARS / 8)
  }
  return pieces.join('')
}
