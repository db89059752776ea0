// What the database adapters count, per controller, for the metrics and the dashboard. The only
// part of db/ that observe/ imports: it knows nothing of Prisma or pg.
//
// The store is found through the controller object, in a WeakMap kept on `globalThis` under a
// `Symbol.for` key, so the Prisma extension of one copy of heapguard (a Next.js route bundle) and
// the metrics endpoint of another (the instrumentation bundle) see the same counts.

/** What the Prisma extension counts for one model. */
export interface ModelCounters {
  /** Reads of the model (top-level reads: `findMany`, `findFirst`, `findUnique` and their `OrThrow` forms). */
  reads: number
  /** Reads the cap cut short, by the model of the rows that were cut (a read counts once per model). */
  capped: number
  /** Reads refused before they ran: their reservation did not fit (`ShedError`, reason `'memory'`). */
  refused: number
  /** Heap bytes a row of the model is estimated at now (given by `rowBytes`, or learnt); 0 before the first read. */
  rowBytes: number
}

/** A managed `pg.Pool` as the gauges see it, read at each scrape. */
export interface PoolGauges {
  /** The most clients the pool may open now (`pool.options.max`). */
  max: number
  /** Clients open (`pool.totalCount`). */
  total: number
  /** Clients open and unused (`pool.idleCount`). */
  idle: number
  /** Checkouts waiting for a client (`pool.waitingCount`, less heapguard's own, which end surplus clients). */
  waiting: number
}

export interface DbCounters {
  /** By model name, in the order first seen. */
  readonly models: Map<string, ModelCounters>
  /** By the name given to `managePool`. */
  readonly pools: Map<string, () => PoolGauges>
  /** Prisma clients extended by `heapguardPrisma` with this controller and not yet collected. */
  prismaClients: number
}

const KEY = Symbol.for('heapguard.db.counters.v1')
type Global = typeof globalThis & { [KEY]?: WeakMap<object, DbCounters> }

function stores(): WeakMap<object, DbCounters> {
  const g = globalThis as Global
  return (g[KEY] ??= new WeakMap())
}

/** The counters of `pressure`, created at the first use (by an adapter). */
export function dbCountersFor(pressure: object): DbCounters {
  const all = stores()
  let counters = all.get(pressure)
  if (counters === undefined) {
    counters = { models: new Map(), pools: new Map(), prismaClients: 0 }
    all.set(pressure, counters)
  }
  return counters
}

/** The counters of `pressure`, or undefined when no database adapter was ever given it (for the observers). */
export function dbCountersOf(pressure: object): DbCounters | undefined {
  return stores().get(pressure)
}

/** The counters of one model, created at its first read. */
export function modelCounters(counters: DbCounters, model: string): ModelCounters {
  let m = counters.models.get(model)
  if (m === undefined) {
    m = { reads: 0, capped: 0, refused: 0, rowBytes: 0 }
    counters.models.set(model, m)
  }
  return m
}
