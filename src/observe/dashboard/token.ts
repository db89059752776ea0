import { createHash, timingSafeEqual } from 'node:crypto'
import { describe } from '../../util/validate.js'

/** Shorter tokens can be guessed; 16 characters of a random string is the floor we accept. */
const MIN_TOKEN_LENGTH = 16

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/**
 * Checks a secret in constant time: both sides are hashed first, so the comparison runs over
 * equal-length digests and neither the token's length nor its first differing byte leaks
 * through timing.
 */
export class TokenCheck {
  readonly #digest: Buffer

  constructor(where: string, token: unknown) {
    if (typeof token !== 'string') {
      throw new TypeError(
        `${where}: option \`token\` must be a string (a random secret of at least ${MIN_TOKEN_LENGTH} characters), got ${describe(token)}`,
      )
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new RangeError(
        `${where}: option \`token\` must be at least ${MIN_TOKEN_LENGTH} characters long, got one of ${token.length}`,
      )
    }
    this.#digest = digest(token)
  }

  matches(candidate: string | null | undefined): boolean {
    if (typeof candidate !== 'string' || candidate === '') return false
    return timingSafeEqual(digest(candidate), this.#digest)
  }

  /** Accepts `Authorization: Bearer <token>` or `?token=<token>` (EventSource cannot send headers). */
  allows(header: string | null | undefined, query: URLSearchParams): boolean {
    const bearer = typeof header === 'string' ? /^\s*bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined
    return this.matches(bearer) || this.matches(query.get('token'))
  }
}
