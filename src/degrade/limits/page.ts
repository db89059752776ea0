import { brandError } from '../../util/error-brand.js'
import { checkNumber, checkOptions, describe } from '../../util/validate.js'
import { readCount, type Scalable } from './scaled-value.js'

/**
 * What `page()` reads: usually the query string (`req.query`), so strings are expected. A
 * `URLSearchParams` is read directly (`new URL(request.url).searchParams`), repeats included.
 */
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
/** What every client value must be; the messages add the bounds a client can use. */
const WHOLE = 'a whole number in digits'

/**
 * Parses `{ take, skip }` from a client and clamps `take` to `max` (read now). Absent values
 * (undefined, null, '') take the defaults: `take = min(default, max)`, `skip = 0`. A value must
 * be a whole number >= 0 (a number, or a string of digits); any such `take` is served, clamped to
 * `max`; a `skip` must be a safe integer, at most `maxSkip` when it is set. Anything else throws
 * a PageError whose message says what the client can send: "`take` must be a whole number in
 * digits, such as 20 (at most 100 per page)", "`skip` must be a whole number in digits from 0 to 1000".
 */
export function parsePage(input: PageInput | URLSearchParams | undefined | null, options: PageOptions): Page {
  const opts = checkOptions<PageOptions>(W, 'options', options, ['default', 'max', 'maxSkip'])
  if (opts.max === undefined) {
    throw new TypeError(
      `${W}: option \`max\` is required (a number or a scaled value): an uncapped page size lets one request load a whole table`,
    )
  }
  const max = readCount(W, 'option `max`', opts.max, 0)
  const fallback = Math.min(checkNumber(W, 'option `default`', opts.default ?? 20, { min: 1, integer: true }), max)
  const maxSkip = opts.maxSkip === undefined ? undefined : readCount(W, 'option `maxSkip`', opts.maxSkip, 0)
  if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
    throw new TypeError(
      `${W}: argument \`input\` must be an object such as req.query or a URLSearchParams, got ${describe(input)}`,
    )
  }
  if (isSearchParams(input)) input = { take: given(input, 'take'), skip: given(input, 'skip') }
  const rawTake = input?.take
  const take = wholeNumber(rawTake)
  if (Number.isNaN(take))
    throw new PageError('take', rawTake, `${WHOLE}, such as ${fallback} (at most ${max} per page)`)
  const rawSkip = input?.skip
  const skip = wholeNumber(rawSkip)
  const skipLimit = maxSkip ?? Number.MAX_SAFE_INTEGER
  if (Number.isNaN(skip) || (skip !== undefined && skip > skipLimit)) {
    // Without maxSkip a client meets the bound only past it, so it is named only then.
    const bounded = maxSkip !== undefined || !Number.isNaN(skip)
    throw new PageError('skip', rawSkip, bounded ? `${WHOLE} from 0 to ${skipLimit}` : WHOLE)
  }
  return { take: take === undefined ? fallback : Math.min(take, max), skip: skip ?? 0 }
}

/** A `URLSearchParams` of any realm (a Web `Request`'s, Next.js's `nextUrl.searchParams`), by shape. */
function isSearchParams(input: unknown): input is URLSearchParams {
  return typeof (input as { getAll?: unknown } | null | undefined)?.getAll === 'function'
}

/**
 * A parameter as `req.query` has it: absent, the one value, or every value of a repeated one (an
 * array, refused as any malformed value is; `Object.fromEntries()` would keep only the last).
 */
function given(params: URLSearchParams, name: string): string | string[] | undefined {
  const all = params.getAll(name)
  return all.length > 1 ? all : all[0]
}

/**
 * A client's whole number >= 0: undefined when absent (undefined, null, ''), NaN when malformed.
 * A string of digits too long for a double is Infinity (a `take` is clamped, a `skip` refused).
 */
function wholeNumber(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined
  if (typeof raw === 'string') return DIGITS.test(raw) ? Number(raw) : NaN
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) return NaN
  return raw === 0 ? 0 : raw // no -0
}

/** The client's value for the message, cut short: a query string can be long. */
function clientValue(value: unknown): string {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return `${value.length} values (the parameter was repeated): ${clientValue(value.join(', '))}`
  if (typeof value === 'string' && value.length > 40)
    return `${JSON.stringify(value.slice(0, 40))}… (string of ${value.length} characters)`
  return describe(value)
}
