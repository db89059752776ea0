import { brandError } from '../../util/error-brand.js'
import { checkNumber, checkOptions, describe } from '../../util/validate.js'
import { readCount, type Scalable } from './scaled-value.js'

/** What `page()` reads: usually the query string (`req.query`), so strings are expected. */
export interface PageInput {
  take?: unknown
  skip?: unknown
}

export interface PageOptions {
  /** The page size when the client asks for none. Default 20 (then clamped to `max` too). */
  default?: number
  /** The largest page served: a number, or a scaled value so pages shrink under pressure. Required. */
  max: Scalable
  /** Optional: the largest `skip` accepted (deep offsets are costly too); above it, a PageError. */
  maxSkip?: Scalable
}

/** A page request, as numbers ready for a query: `LIMIT take OFFSET skip`. */
export interface Page {
  take: number
  skip: number
}

/**
 * A client asked for a page that cannot be served (not a whole number, negative, too deep).
 * A RangeError with `statusCode` 400, so Fastify and Express error handlers answer 400 with it.
 * `instanceof PageError` holds whichever copy of heapguard (ESM or CJS) built it.
 */
export class PageError extends RangeError {
  static {
    brandError(this, 'PageError')
  }
  override readonly name = 'PageError'
  /** Stable code for logs and `catch` filters. */
  readonly code = 'HEAPGUARD_PAGE'
  readonly statusCode = 400
  readonly status = 400
  constructor(
    readonly field: 'take' | 'skip',
    readonly value: unknown,
    rule: string,
  ) {
    super(`page: \`${field}\` must be ${rule}, got ${clientValue(value)}`)
  }
}

const W = 'limits.page'
const DIGITS = /^\d+$/
const WHOLE = `a whole number between 0 and ${Number.MAX_SAFE_INTEGER}`

/**
 * Parses `{ take, skip }` from a client and clamps `take` to `max` (read now). Absent values
 * (undefined, null, '') take the defaults: `take = min(default, max)`, `skip = 0`.
 * Anything else that is not a whole number >= 0 (a number, or a string of digits) throws a PageError.
 */
export function parsePage(input: PageInput | undefined | null, options: PageOptions): Page {
  const opts = checkOptions<PageOptions>(W, 'options', options, ['default', 'max', 'maxSkip'])
  if (opts.max === undefined) {
    throw new TypeError(
      `${W}: option \`max\` is required (a number or a scaled value): an uncapped page size lets one request load a whole table`,
    )
  }
  const max = readCount(W, 'option `max`', opts.max, 0)
  const fallback = checkNumber(W, 'option `default`', opts.default ?? 20, { min: 1, integer: true })
  if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw new TypeError(`${W}: argument \`input\` must be an object such as req.query, got ${describe(input)}`)
  }
  const take = parseField('take', input?.take)
  const skip = parseField('skip', input?.skip) ?? 0
  if (opts.maxSkip !== undefined) {
    const maxSkip = readCount(W, 'option `maxSkip`', opts.maxSkip, 0)
    if (skip > maxSkip) throw new PageError('skip', input?.skip, `at most ${maxSkip}`)
  }
  return { take: Math.min(take ?? fallback, max), skip }
}

function parseField(field: 'take' | 'skip', raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && DIGITS.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n < 0) throw new PageError(field, raw, WHOLE)
  return n === 0 ? 0 : n // no -0
}

/** The client's value for the message, cut short: a query string can be long. */
function clientValue(value: unknown): string {
  if (typeof value === 'string' && value.length > 40)
    return `${JSON.stringify(value.slice(0, 40))}… (string of ${value.length} characters)`
  return describe(value)
}
