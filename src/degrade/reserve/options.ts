import { checkNumber, checkOneOf, checkOptions, checkString, MAX_TIMER_MS, optionKeys } from '../../util/validate.js'

/**
 * How a reservation and the allocation it announced are reconciled (docs/reservations.md):
 * - `growth` (default): a reservation counts only what the source has not grown by since it was
 *   granted; growth is charged to live reservations oldest first, and never given back.
 * - `floor`: as `growth`, but only rises of the heap left after a major GC count as growth.
 * - `hold`: a reservation counts its full bytes until it is released (for work whose memory the
 *   source does not see, such as Buffers against the heap source).
 */
export type ReconcileRule = 'growth' | 'floor' | 'hold'

export const RECONCILE_RULES: readonly ReconcileRule[] = Object.freeze(['growth', 'floor', 'hold'])

/** `createController({ reservations })`. */
export interface ReservationOptions {
  /** A reservation held longer than this is reported on `'error'` and stops counting. Default 60,000 ms. */
  maxHoldMs?: number
  /** Default `'growth'`; see {@link ReconcileRule}. */
  reconcile?: ReconcileRule
  /** The source reservations count against unless `reserve()` names one; default `'heap'`, else the first source. */
  source?: string
}

export interface ResolvedReservationOptions {
  maxHoldMs: number
  reconcile: ReconcileRule
  source: string
}

const W = 'createController'
const KEYS = optionKeys<ReservationOptions>({ maxHoldMs: true, reconcile: true, source: true })

export function resolveReservationOptions(value: unknown, sourceNames: readonly string[]): ResolvedReservationOptions {
  const o = checkOptions<ReservationOptions>(W, 'option `reservations`', value, KEYS)
  const source =
    o.source === undefined
      ? sourceNames.includes('heap')
        ? 'heap'
        : sourceNames[0]!
      : checkSource(W, 'option `reservations.source`', o.source, sourceNames)
  return {
    maxHoldMs: checkNumber(W, 'option `reservations.maxHoldMs`', o.maxHoldMs ?? 60_000, {
      above: 0,
      max: MAX_TIMER_MS,
    }),
    reconcile:
      o.reconcile === undefined
        ? 'growth'
        : checkOneOf(W, 'option `reservations.reconcile`', o.reconcile, RECONCILE_RULES),
    source,
  }
}

/** The name of one of the controller's sources: a TypeError for a non-string, a RangeError for an unknown name. */
export function checkSource(where: string, name: string, value: unknown, sourceNames: readonly string[]): string {
  const checked = checkString(where, name, value)
  if (!sourceNames.includes(checked)) {
    throw new RangeError(
      `${where}: ${name} must name one of the controller's sources (${sourceNames.map((n) => JSON.stringify(n)).join(', ')}), got ${JSON.stringify(checked)} (string)`,
    )
  }
  return checked
}
