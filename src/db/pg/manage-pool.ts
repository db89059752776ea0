import type { LevelValues } from '../../degrade/limits/scaled-value.js'
import type { Level } from '../../pressure/levels.js'
import { callSafely } from '../../util/safe-call.js'
import {
  checkFunction,
  checkNumber,
  checkOptions,
  checkString,
  describe,
  MAX_TIMER_MS,
  optionKeys,
} from '../../util/validate.js'
import { dbCountersFor, type DbCounters, type PoolGauges } from '../counters.js'
import { resolveLevelTable } from '../level-table.js'
import { checkTarget, type DbTarget } from '../target.js'

const W = 'managePool'

/**
 * The least `max` a level may set. With one client, an interactive transaction that also queries
 * through the pool (not through its transaction client) waits for a client only it can give back:
 * Prisma reports P2028 once the transaction times out.
 */
export const MIN_POOL_MAX = 2

/** What `managePool` uses of a `pg.Pool` (pg-pool 3): the pool itself, never a wrapper. */
export interface PgPool {
  /** pg-pool reads `options.max` at every checkout, so changing it takes effect at once. */
  options: { max?: number }
  readonly totalCount: number
  readonly idleCount: number
  readonly waitingCount: number
  readonly ending?: boolean
  readonly ended?: boolean
  connect(): Promise<{ release(destroy?: boolean | Error): void }>
}

export interface ManagePoolOptions {
  /**
   * The most clients the pool may open, by level: a whole number ≥ 2 for all levels, or a table
   * whose `normal` is required, missing levels taking the value of the level below, and that
   * must not grow with pressure: `{ normal: 10, warning: 6, critical: 3, emergency: 2 }`.
   */
  max: number | LevelValues
  /** Names the pool in the metrics (`db_pool_*{pool}`) and on the dashboard; default `'main'`. Unique per controller. */
  name?: string
  /** After pressure, `max` climbs back one client at a time, reaching the table's `normal` over this many ms; default 30,000 (0: at once). */
  regrowMs?: number
  /** Called when `max` changes (with the level the change follows). Errors are reported, never thrown. */
  onChange?: (change: PoolChange) => void
}

export interface PoolChange {
  from: number
  to: number
  /** The controller's level when it changed. */
  level: Level
}

/** The handle `managePool` returns. */
export interface ManagedPool {
  readonly name: string
  /** The pool's `max` now. */
  readonly max: number
  /** What the pool holds now, as the gauges show it. */
  stats(): PoolGauges
  /** Stops following the level and gives the pool back the table's `normal` max. Idempotent. */
  stop(): void
}

const KEYS = optionKeys<ManagePoolOptions>({ max: true, name: true, regrowMs: true, onChange: true })

// One manager per pool across every copy of heapguard: a second would fight the first over `max`.
const MANAGED = Symbol.for('heapguard.pg.managed.v1')
type Global = typeof globalThis & { [MANAGED]?: WeakSet<object> }
const managed = ((globalThis as Global)[MANAGED] ??= new WeakSet<object>())

/**
 * Makes a `pg.Pool` follow the pressure level: `pool.options.max` is set to the level's value (pg-pool
 * reads it at every checkout), clients above it are ended as they come free (idle ones at once),
 * and after pressure `max` climbs back gradually. The pool stays the pool: Prisma's
 * `@prisma/adapter-pg`, Drizzle and Kysely, which check `instanceof Pool`, keep working with it.
 *
 *   managePool(pressure, pool, { max: { normal: 10, warning: 6, critical: 3, emergency: 2 } })
 */
export function managePool(pressure: DbTarget, pool: PgPool, options: ManagePoolOptions): ManagedPool {
  const target = checkTarget(W, pressure)
  checkPool(pool)
  if (options === undefined) {
    throw new TypeError(
      `${W}: options must be an object with \`max\`, such as { max: { normal: 10, critical: 3 } }, got undefined`,
    )
  }
  const o = checkOptions<ManagePoolOptions>(W, 'options', options, KEYS)
  if (o.max === undefined) {
    throw new TypeError(
      `${W}: option \`max\` is required: the clients the pool may open by level, such as { normal: 10, critical: 3 }`,
    )
  }
  const table = resolveLevelTable(
    W,
    'max',
    o.max,
    MIN_POOL_MAX,
    '{ normal: 10, warning: 6, critical: 3, emergency: 2 }',
  )
  const name = o.name === undefined ? 'main' : checkString(W, 'option `name`', o.name)
  const regrowMs =
    o.regrowMs === undefined ? 30_000 : checkNumber(W, 'option `regrowMs`', o.regrowMs, { min: 0, max: MAX_TIMER_MS })
  const onChange =
    o.onChange === undefined ? undefined : checkFunction<(c: PoolChange) => void>(W, 'option `onChange`', o.onChange)
  const counters = dbCountersFor(target)
  if (counters.pools.has(name)) {
    throw new Error(
      `${W}: this controller already manages a pool named ${describe(name)}: give each pool its own \`name\``,
    )
  }
  if (managed.has(pool))
    throw new Error(`${W}: this pool is already managed: stop() the first manager before managing it again`)
  return new PoolManager(target, pool, table, { name, regrowMs, onChange, counters })
}

function checkPool(pool: unknown): asserts pool is PgPool {
  const p = pool as Partial<PgPool> | null
  const ok =
    p !== null &&
    typeof p === 'object' &&
    typeof p.connect === 'function' &&
    p.options !== null &&
    typeof p.options === 'object' &&
    typeof p.totalCount === 'number' &&
    typeof p.idleCount === 'number' &&
    typeof p.waitingCount === 'number'
  if (!ok) {
    throw new TypeError(
      `${W}: argument \`pool\` must be a pg.Pool (new Pool() from 'pg'; the pool itself, not a client or a wrapper), got ${describe(pool)}`,
    )
  }
}

class PoolManager implements ManagedPool {
  readonly name: string
  readonly #target: DbTarget
  readonly #pool: PgPool
  readonly #table: Record<Level, number>
  readonly #goal: { readonly value: number }
  readonly #stepMs: number
  readonly #onChange: ((change: PoolChange) => void) | undefined
  readonly #counters: DbCounters
  /** Checkouts of our own, waiting for a client to end. */
  #claims = 0
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  readonly #follow = (): void => this.#apply()

  constructor(
    target: DbTarget,
    pool: PgPool,
    table: Record<Level, number>,
    o: { name: string; regrowMs: number; onChange: ((c: PoolChange) => void) | undefined; counters: DbCounters },
  ) {
    this.name = o.name
    this.#target = target
    this.#pool = pool
    this.#table = table
    this.#goal = target.limits.scale(table)
    // The full climb, from the lowest max to the highest, takes regrowMs.
    this.#stepMs = o.regrowMs / Math.max(1, table.normal - table.emergency)
    this.#onChange = o.onChange
    this.#counters = o.counters
    managed.add(pool)
    o.counters.pools.set(o.name, () => this.stats())
    // 'level' for changes (force() included), 'sample' for what no event announces (observe → enforce).
    target.on('level', this.#follow)
    target.on('sample', this.#follow)
    this.#set(this.#goal.value)
  }

  get max(): number {
    return this.#pool.options.max ?? 10
  }

  stats(): PoolGauges {
    const pool = this.#pool
    return {
      max: this.max,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: Math.max(0, pool.waitingCount - this.#claims),
    }
  }

  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#target.off('level', this.#follow)
    this.#target.off('sample', this.#follow)
    this.#counters.pools.delete(this.name)
    managed.delete(this.#pool)
    this.#set(this.#table.normal)
  }

  /** Lowers `max` at once; raises it one client a step. */
  #apply(): void {
    if (this.#stopped) return
    const goal = this.#goal.value
    if (goal < this.max) {
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#set(goal)
    } else if (goal > this.max && this.#timer === undefined) {
      if (this.#stepMs === 0) this.#set(goal)
      else this.#climb()
    }
  }

  #climb(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      const goal = this.#goal.value
      if (this.#stopped || goal <= this.max) return
      this.#set(this.max + 1)
      if (goal > this.max) this.#climb()
    }, this.#stepMs)
    this.#timer.unref()
  }

  #set(max: number): void {
    const from = this.max
    if (from !== max) {
      this.#pool.options.max = max
      const change = { from, to: max, level: this.#target.level }
      if (this.#onChange !== undefined) callSafely(this.#target, this.#onChange, change)
    }
    this.#trim()
  }

  /**
   * Ends the clients above `max`. pg-pool hands idle clients out before it opens new ones, so
   * lowering `max` alone does not lower how many work at once: heapguard checks clients out
   * itself, in the pool's own queue (an idle client at once, a busy one when it comes free), and
   * ends each with `release(true)`. Waiting checkouts queued before it are served first.
   */
  #trim(): void {
    const pool = this.#pool
    if (pool.ending === true || pool.ended === true) return
    const excess = pool.totalCount - this.#claims - this.max
    for (let i = 0; i < excess; i++) this.#claim()
  }

  #claim(): void {
    this.#claims++
    this.#pool.connect().then(
      (client) => {
        this.#claims--
        // It may have come to a pool that has since been allowed more clients: then it stays.
        client.release(this.#pool.totalCount > this.max)
      },
      () => {
        // The pool is ending, or timed out our wait (connectionTimeoutMillis): the next change trims again.
        this.#claims--
      },
    )
  }
}
