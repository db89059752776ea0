import type { LevelValues } from '../../degrade/limits/scaled-value.js'
import { PRIORITIES, type Priority } from '../../degrade/shed/priority.js'
import type { Level } from '../../pressure/levels.js'
import type { Logger } from '../../pressure/types.js'
import { checkNumber, checkOneOf, checkOptions, describe, optionKeys } from '../../util/validate.js'
import { resolveLevelTable } from '../level-table.js'

/** What a priority function is told about the read. */
export interface PrismaRead {
  /** The model, as Prisma names it: `'User'`. */
  model: string
  /** `'findMany'`, `'findFirst'`, `'findUnique'`, `'findFirstOrThrow'` or `'findUniqueOrThrow'`. */
  operation: string
}

export interface HeapguardPrismaOptions {
  /**
   * The most rows a list may hold, at every depth (a `findMany`, and each to-many relation of
   * `include` and `select`), by level: a whole number ≥ 1 for all levels, or a table whose
   * `normal` is required, missing levels taking the value of the level below, and that must not
   * grow with pressure. Default `{ normal: 1000, warning: 250, critical: 50, emergency: 10 }`.
   */
  take?: number | LevelValues
  /**
   * `'cap'` (default): a larger or missing take is lowered to the cap, the rows beyond it are
   * left out, and the cap is counted and logged. `'throw'`: a take above the cap is a
   * `RangeError` before the read, and a read without a take that finds more rows than the cap
   * is one after it.
   */
  onCap?: 'cap' | 'throw'
  /** The priority of each read's reservation; default `'normal'`. A function is called for each read. */
  priority?: Priority | ((read: PrismaRead) => Priority)
  /** Heap bytes a row of a model, by model name: `{ Assessment: 600 }`. Models not named are learnt from their rows. */
  rowBytes?: Record<string, number>
  /**
   * Reads estimated below this many bytes run without a reservation: a reservation costs a few
   * microseconds a read, and a read that small is not what reservations are for (work that may
   * hold more than a sliver of the heap in one turn; the sampler sees the rest). Default 65,536;
   * 0 makes every read reserve.
   */
  reserveAbove?: number
  /** Where a cap is logged (once per model and call site), with `warn`. Default `console`. */
  logger?: Logger
}

export const DEFAULT_TAKE: Readonly<Record<Level, number>> = Object.freeze({
  normal: 1000,
  warning: 250,
  critical: 50,
  emergency: 10,
})

export interface ResolvedPrismaOptions {
  readonly take: Record<Level, number>
  readonly onCap: 'cap' | 'throw'
  readonly priority: Priority | ((read: PrismaRead) => Priority)
  readonly rowBytes: Readonly<Record<string, number>>
  readonly reserveAbove: number
  readonly logger: Logger
}

const KEYS = optionKeys<HeapguardPrismaOptions>({
  take: true,
  onCap: true,
  priority: true,
  rowBytes: true,
  reserveAbove: true,
  logger: true,
})

export const DEFAULT_RESERVE_ABOVE = 64 * 1024

export function resolvePrismaOptions(where: string, options: unknown): ResolvedPrismaOptions {
  const o = checkOptions<HeapguardPrismaOptions>(where, 'options', options, KEYS)
  const take =
    o.take === undefined
      ? { ...DEFAULT_TAKE }
      : resolveLevelTable(where, 'take', o.take, 1, '{ normal: 1000, warning: 250, critical: 50, emergency: 10 }')
  const onCap = o.onCap === undefined ? 'cap' : checkOneOf(where, 'option `onCap`', o.onCap, ['cap', 'throw'] as const)
  const priority =
    o.priority === undefined || typeof o.priority === 'function'
      ? (o.priority ?? 'normal')
      : checkOneOf(where, 'option `priority`', o.priority, PRIORITIES)
  const rowBytes: Record<string, number> = {}
  if (o.rowBytes !== undefined) {
    if (o.rowBytes === null || typeof o.rowBytes !== 'object' || Array.isArray(o.rowBytes)) {
      throw new TypeError(
        `${where}: option \`rowBytes\` must be an object of bytes a row by model, such as { Assessment: 600 }, got ${describe(o.rowBytes)}`,
      )
    }
    for (const [model, bytes] of Object.entries(o.rowBytes)) {
      rowBytes[model] = checkNumber(where, `option \`rowBytes.${model}\``, bytes, { above: 0 })
    }
  }
  const reserveAbove =
    o.reserveAbove === undefined
      ? DEFAULT_RESERVE_ABOVE
      : checkNumber(where, 'option `reserveAbove`', o.reserveAbove, { min: 0 })
  const logger = o.logger ?? console
  if (logger === null || typeof logger !== 'object') {
    throw new TypeError(`${where}: option \`logger\` must be an object with a warn() method, got ${describe(logger)}`)
  }
  return { take, onCap, priority, rowBytes, reserveAbove, logger }
}
