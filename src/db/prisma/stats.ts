import { dbCountersOf } from '../counters.js'

/** What `prismaStats()` shows of one model. */
export interface PrismaModelStats {
  /** Reads of the model (`findMany`, `findFirst`, `findUnique` and their `OrThrow` forms). */
  reads: number
  /** Reads the cap cut short (by the model of the rows cut). */
  capped: number
  /** Reads refused before they ran (their reservation did not fit). */
  refused: number
  /** Heap bytes a row is estimated at now: `rowBytes`, or learnt from the rows read (0 before any). */
  rowBytes: number
}

export interface PrismaStats {
  /** Prisma clients extended with this controller and not yet collected. */
  clients: number
  /** By model name. */
  models: Record<string, PrismaModelStats>
}

/**
 * What the Prisma extensions of a controller have counted: the figures behind
 * `db_reads_total`, `db_rows_capped_total`, `db_reads_refused_total` and `db_row_bytes`.
 * Empty for a controller no extension was given.
 */
export function prismaStats(pressure: object): PrismaStats {
  const counters = dbCountersOf(pressure)
  const models: Record<string, PrismaModelStats> = {}
  for (const [name, m] of counters?.models ?? []) models[name] = { ...m }
  return { clients: counters?.prismaClients ?? 0, models }
}
