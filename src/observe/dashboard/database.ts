import { dbCountersOf, type ModelCounters, type PoolGauges } from '../../db/counters.js'

/** What the dashboard shows of heapguard/prisma and heapguard/pg. */
export interface DatabaseState {
  /** Prisma clients extended with this controller. */
  clients: number
  models: ({ model: string } & ModelCounters)[]
  pools: ({ pool: string } & PoolGauges)[]
}

/** The controller's database counters, or null when no database adapter was given it. */
export function readDatabase(pressure: object): DatabaseState | null {
  const counters = dbCountersOf(pressure)
  if (counters === undefined) return null
  return {
    clients: counters.prismaClients,
    models: [...counters.models].map(([model, c]) => ({ model, ...c })),
    pools: [...counters.pools].map(([pool, read]) => ({ pool, ...read() })),
  }
}
