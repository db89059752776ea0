// heapguard/pg: a pg.Pool whose size follows the pressure level. pg is an optional peer
// dependency (and is never imported: the pool is handed in). See docs/databases.md.
export { managePool, MIN_POOL_MAX } from './db/pg/manage-pool.js'
export type { ManagePoolOptions, ManagedPool, PgPool, PoolChange } from './db/pg/manage-pool.js'
export type { PoolGauges } from './db/counters.js'
export type { DbTarget } from './db/target.js'
