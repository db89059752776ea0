import { LEVELS, type Level } from '../../pressure/levels.js'
import { checkNumber, checkOptions, MAX_TIMER_MS } from '../../util/validate.js'
import { resolveAdmission, type AdmissionOptions, type AdmissionTable } from './admission.js'

/** `createController({ shed })`: admission table, concurrency limits, wait queue, Retry-After. */
export interface ShedOptions {
  /**
   * What each level admits, merged over the default (`normal`/`warning` admit everything,
   * `critical` refuses `low`, `emergency` admits only `critical`). Per level, a minimum priority
   * (`'high'`) or the exact list (`['critical', 'high']`).
   */
  admission?: AdmissionOptions
  /**
   * Most admitted work running at once, from a level up: `{ critical: 64, emergency: 16 }` caps
   * `critical` at 64 and `emergency` at 16, and leaves `normal`/`warning` unbounded. A level without
   * a number inherits the one below it. Critical-priority work is never held back.
   */
  concurrency?: Partial<Record<Level, number>>
  /** Where work waits when the limit is reached. Default `{ size: 100, timeoutMs: 1000 }`. */
  queue?: { size?: number; timeoutMs?: number }
  /** Seconds sent in `Retry-After` and carried by `ShedError`; default 10. */
  retryAfter?: number
}

export interface ResolvedShedOptions {
  admission: AdmissionTable
  /** The concurrency limit at each level (null = none). */
  limits: Readonly<Record<Level, number | null>>
  queueSize: number
  queueTimeoutMs: number
  retryAfter: number
}

const W = 'createController'

/** A whole number of seconds, as `Retry-After` requires. */
export function checkRetryAfter(where: string, name: string, value: unknown): number {
  return checkNumber(where, name, value, { min: 0, integer: true })
}

function resolveLimits(value: unknown): Record<Level, number | null> {
  const partial = checkOptions<Record<Level, number>>(W, 'option `shed.concurrency`', value, LEVELS)
  const limits = {} as Record<Level, number | null>
  let below: number | null = null
  let belowLevel: Level | undefined
  for (const level of LEVELS) {
    const own = partial[level]
    if (own === undefined) {
      limits[level] = below
      continue
    }
    checkNumber(W, `option \`shed.concurrency.${level}\``, own, { min: 1, integer: true })
    if (below !== null && own > below) {
      throw new RangeError(
        `${W}: option \`shed.concurrency.${level}\` (${own}) must not exceed the limit of the lower level ` +
          `'${belowLevel}' (${below}); a higher level must not let more work run`,
      )
    }
    limits[level] = below = own
    belowLevel = level
  }
  return limits
}

export function resolveShedOptions(options: unknown): ResolvedShedOptions {
  const { admission, concurrency, queue, retryAfter } = checkOptions<ShedOptions>(W, 'option `shed`', options, [
    'admission',
    'concurrency',
    'queue',
    'retryAfter',
  ])
  const { size, timeoutMs } = checkOptions<NonNullable<ShedOptions['queue']>>(W, 'option `shed.queue`', queue, [
    'size',
    'timeoutMs',
  ])
  return {
    admission: resolveAdmission(W, admission),
    limits: Object.freeze(resolveLimits(concurrency)),
    queueSize: checkNumber(W, 'option `shed.queue.size`', size ?? 100, { min: 0, integer: true }),
    queueTimeoutMs: checkNumber(W, 'option `shed.queue.timeoutMs`', timeoutMs ?? 1000, { above: 0, max: MAX_TIMER_MS }),
    retryAfter: checkRetryAfter(W, 'option `shed.retryAfter`', retryAfter ?? 10),
  }
}
