import { brandError } from '../../util/error-brand.js'
import { describe, messageOf } from '../../util/validate.js'
import type { Source, SourceContext, SourceReading } from '../types.js'

/**
 * A source that failed to read is reported with this error; `source` names it. `instanceof
 * SourceError` holds whichever copy of heapguard (ESM or CJS) built it.
 */
export class SourceError extends Error {
  static {
    brandError(this, 'SourceError')
  }
  override readonly name = 'SourceError'
  /** Stable code for logs and `catch` filters. */
  readonly code = 'HEAPGUARD_SOURCE'
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * Reads one source and checks what it returned. A source that throws, returns a promise, or
 * returns anything but a finite `used >= 0` over a finite `limit > 0` is reported (as a
 * `SourceError`) and gives no reading: it never stops the sample.
 */
export function readSource(source: Source, context: SourceContext): SourceReading | undefined {
  const name = source.name
  const report = context.report
  let value: unknown
  try {
    value = source.read(context)
  } catch (error) {
    report(
      new SourceError(name, `heapguard: source "${name}" threw: ${messageOf(error)}`, {
        cause: error,
      }),
    )
    return undefined
  }
  const { used, limit } = (value ?? {}) as { used?: unknown; limit?: unknown }
  // A huge used over a tiny limit overflows to an infinite ratio: no more a reading than NaN is.
  if (
    typeof used === 'number' &&
    Number.isFinite(used) &&
    used >= 0 &&
    typeof limit === 'number' &&
    Number.isFinite(limit) &&
    limit > 0 &&
    Number.isFinite(used / limit)
  ) {
    return { used, limit, ratio: used / limit }
  }
  report(
    new SourceError(name, `heapguard: source "${name}" returned an invalid reading ${invalid(value, used, limit)}`),
  )
  return undefined
}

function invalid(value: unknown, used: unknown, limit: unknown): string {
  const rule = '(used must be a finite number >= 0, limit a finite number > 0)'
  if (typeof (value as { then?: unknown } | null)?.then === 'function') {
    // An `async read()` that rejects must not end as an unhandled rejection: it is reported here already.
    Promise.resolve(value).catch(() => {})
    return `${rule}: a promise (read() must be synchronous)`
  }
  const got =
    value !== null && typeof value === 'object' ? `used ${describe(used)}, limit ${describe(limit)}` : describe(value)
  return `${rule}: ${got}`
}
