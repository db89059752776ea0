import { Prisma } from '@prisma/client/extension'
import { isPriority, type Priority } from '../../degrade/shed/priority.js'
import { describe } from '../../util/validate.js'
import { warnOnce } from '../../util/warn-once.js'
import { dbCountersFor, modelCounters, type DbCounters, type ModelCounters } from '../counters.js'
import { checkTarget, type DbTarget } from '../target.js'
import { countClient } from './clients.js'
import { Models } from './models.js'
import { resolvePrismaOptions, type HeapguardPrismaOptions, type ResolvedPrismaOptions } from './options.js'
import { followDataPath, nodeBytes, planRead, type CapRule, type ReadPlan } from './plan.js'
import { ResultWalk } from './results.js'
import { readSchema } from './schema.js'
import { isUncapped } from './uncapped.js'

const W = 'heapguardPrisma'

/** The operations that are capped and reserve; writes, counts and aggregates pass untouched. */
const READS: ReadonlySet<string> = new Set([
  'findMany',
  'findFirst',
  'findFirstOrThrow',
  'findUnique',
  'findUniqueOrThrow',
])

/**
 * A read holds more than its rows while it runs: the driver's rows and the objects Prisma builds
 * from them live side by side until it returns. Measured (BENCHMARKS.md): a 100,000-row findMany
 * whose rows keep 63 MB needs a heap about 95 MB larger to complete. So a read reserves its
 * rows' bytes one and a half times.
 */
export const READ_PEAK = 1.5

/** Reads of a model that learn value sizes: every one at first, then one in `THIN_EVERY`. */
const LEARN_ALWAYS = 64
const THIN_EVERY = 8
/** Caps logged at most once per model and call site, for at most this many pairs. */
const MAX_LOGGED_SITES = 1024
const NOTHING: readonly string[] = Object.freeze([])

/**
 * What `heapguardPrisma()` returns: a Prisma Client extension, for `$extends`. Declared without
 * Prisma's own types so that it fits the clients of Prisma 5, 6 and 7 alike; it adds no member,
 * so the extended client keeps every model and result type.
 */
// `any` and `{}` are what Prisma's own `defineExtension` declares for an extension that adds nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type HeapguardPrismaExtension = (client: any) => {
  $extends: { extArgs: { result: {}; model: {}; query: {}; client: {} } }
}

/**
 * The Prisma Client extension: every read capped by the level's `take`, at every depth, and
 * reserved before it runs (`rows × bytes a row × 1.5`, for reads estimated at `reserveAbove` bytes
 * or more), refused with a `ShedError` when that does not fit. Install it with `$extends`; the
 * client keeps its model and result types:
 *
 *   const prisma = new PrismaClient({ adapter }).$extends(heapguardPrisma(pressure, { take: { normal: 1000, critical: 50 } }))
 *
 * Options are checked here (a `TypeError` or `RangeError` naming the option and the value);
 * `rowBytes` naming a model the client does not have is a `RangeError` at `$extends`.
 * See docs/databases.md.
 */
export function heapguardPrisma(pressure: DbTarget, options?: HeapguardPrismaOptions): HeapguardPrismaExtension {
  const target = checkTarget(W, pressure)
  const opts = resolvePrismaOptions(W, options)
  const take = target.limits.scale(opts.take)
  const counters = dbCountersFor(target)
  const extension = Prisma.defineExtension((client) => {
    const schema = readSchema(client)
    if (schema.size > 0) {
      for (const model of Object.keys(opts.rowBytes)) {
        if (!schema.has(model)) {
          throw new RangeError(
            `${W}: option \`rowBytes\` names the model ${describe(model)}, which this client does not have (its models: ${[...schema.keys()].join(', ')})`,
          )
        }
      }
    } else {
      warnOnce(
        'HEAPGUARD_PRISMA_NO_DATA_MODEL',
        `${W}: this Prisma client shows no data model, so relations are read as they are asked for (top-level findMany reads are still capped): the relations of include and select are capped once a result has shown which are lists`,
      )
    }
    const reads = new Reads(target, opts, take, counters, new Models(schema, opts.rowBytes), client)
    countClient(client, counters)
    return client.$extends({
      name: 'heapguard',
      query: { $allModels: { $allOperations: (params) => reads.run(params as QueryParams) } },
    })
  })
  return extension as HeapguardPrismaExtension
}

/** What Prisma hands a query extension; `__internalParams` is Prisma's own (the fluent read's `dataPath`, the call site). */
interface QueryParams {
  model: string
  operation: string
  args: unknown
  query: (args: unknown) => PromiseLike<unknown>
  __internalParams?: {
    dataPath?: unknown
    jsModelName?: unknown
    callsite?: { getLocation?: () => { fileName?: string; lineNumber?: number; columnNumber?: number } | null }
  }
}

type Delegate = {
  count?: (args: object) => PromiseLike<number>
  findMany?: (args: object) => PromiseLike<unknown[]>
}

/** Rows an export of a model never read before first reads to learn how large they are. */
const SAMPLE_ROWS = 20

/** The reads of one extended client. */
class Reads {
  readonly #target: DbTarget
  readonly #opts: ResolvedPrismaOptions
  readonly #take: { readonly value: number }
  readonly #counters: DbCounters
  readonly #models: Models
  readonly #client: object
  readonly #logged = new Set<string>()

  constructor(
    target: DbTarget,
    opts: ResolvedPrismaOptions,
    take: { readonly value: number },
    counters: DbCounters,
    models: Models,
    client: object,
  ) {
    this.#target = target
    this.#opts = opts
    this.#take = take
    this.#counters = counters
    this.#models = models
    this.#client = client
  }

  run(params: QueryParams): Promise<unknown> {
    if (!READS.has(params.operation)) return params.query(params.args) as Promise<unknown>
    return this.#read(params)
  }

  async #read(params: QueryParams): Promise<unknown> {
    const { model, operation, args, query } = params
    const many = operation === 'findMany'
    const counter = modelCounters(this.#counters, model)
    counter.reads++
    // The gauge shows the estimate from the first read on: `rowBytes`, or the first guess from the field types.
    if (counter.rowBytes === 0) counter.rowBytes = Math.round(this.#models.get(model).rowBytes())
    const cap = isUncapped() ? undefined : this.#take.value
    const rule: CapRule = {
      cap,
      refuse:
        this.#opts.onCap === 'throw'
          ? (owner, take, relation) => this.#refuse(owner, take, cap!, relation?.field)
          : undefined,
    }
    const plan = planRead(this.#models, model, many, args, rule)
    const rows = many && plan.bound === Infinity ? await this.#measure(params) : plan.bound
    const bytes = Math.ceil(rows * nodeBytes(plan.root) * READ_PEAK)
    const reservation = bytes < this.#opts.reserveAbove ? undefined : this.#reserve(bytes, model, operation, counter)
    try {
      const result = await query(plan.args)
      const capped = this.#walk(plan, params, result, many)
      if (capped.length > 0 && rule.refuse !== undefined) {
        throw new RangeError(
          `${W}: a ${model}.${operation} read found more than ${cap} rows of ${capped.join(', ')} without a take (onCap: 'throw'): give it a take of at most ${cap}, or read within uncapped()`,
        )
      }
      return result
    } finally {
      reservation?.release()
    }
  }

  /** Reserves for a read at its priority; a refusal is counted for the model and thrown (a `ShedError`). */
  #reserve(bytes: number, model: string, operation: string, counter: ModelCounters): { release(): void } {
    const priority = this.#priorityOf(model, operation)
    try {
      return this.#target.reserve(bytes, { priority })
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 'HEAPGUARD_SHED') counter.refused++
      throw error
    }
  }

  /** Trims, counts and learns from a result; the cap's bookkeeping never fails a read (it is reported). Returns the models cut. */
  #walk(plan: ReadPlan, params: QueryParams, result: unknown, many: boolean): readonly string[] {
    try {
      const info = this.#models.get(params.model)
      info.reads++
      const learn = info.reads <= LEARN_ALWAYS || info.reads % THIN_EVERY === 0
      // Nothing to trim, count or learn: a read of rows without relations, between samples.
      if (!learn && plan.trim === undefined && plan.root.relations.length === 0) return NOTHING
      const walk = new ResultWalk(learn)
      const start = followDataPath(plan, params.__internalParams?.dataPath)
      if (start === undefined) {
        if (many) walk.list(result, plan.root, plan.trim)
        else walk.one(result, plan.root)
      } else if (start !== null) {
        walk.relation(result, start.relation, start.node, start.trim)
      }
      walk.finish()
      for (const learnt of walk.learnt)
        modelCounters(this.#counters, learnt.name).rowBytes = Math.round(learnt.rowBytes())
      if (walk.capped.size === 0) return NOTHING
      for (const name of walk.capped) {
        modelCounters(this.#counters, name).capped++
        this.#log(name, params)
      }
      return [...walk.capped]
    } catch (error) {
      this.#target.report(error)
      return NOTHING
    }
  }

  /** Logs a cap once per model and call site (Prisma's call site, when it records one). */
  #log(model: string, params: QueryParams): void {
    if (this.#opts.onCap === 'throw') return
    const at = params.__internalParams?.callsite?.getLocation?.()
    const site =
      at?.fileName === undefined ? 'an unknown call site' : `${at.fileName}:${at.lineNumber}:${at.columnNumber}`
    const key = `${model}\0${site}`
    if (this.#logged.has(key) || this.#logged.size >= MAX_LOGGED_SITES) return
    this.#logged.add(key)
    const message = `heapguard/prisma: ${params.model}.${params.operation} at ${site} was cut to ${this.#take.value} rows of ${model} (the cap at level ${this.#target.level}): give it a take, or read it within uncapped() if it must see every row. Logged once per model and call site; db_rows_capped_total counts every cap.`
    try {
      this.#opts.logger.warn?.(message)
    } catch (error) {
      this.#target.report(error)
    }
  }

  #refuse(model: string, take: number, cap: number, field: string | undefined): never {
    const what = field === undefined ? `${model}.findMany` : `the relation ${model}.${field}`
    throw new RangeError(
      `${W}: ${what} asks for take ${take}, above the cap of ${cap} rows at level '${this.#target.level}' (onCap: 'throw'): ask for at most ${cap}, or read within uncapped()`,
    )
  }

  /**
   * Rows an uncapped `findMany` without a take will bring: a `count()` with the same filter, run
   * on the client as it was before this extension (outside any transaction). For a model no read
   * has shown yet, a few of those rows are read as well, to learn their size: an export is
   * often the first read of its model, and a guess from the field types can be half the truth.
   */
  async #measure(params: QueryParams): Promise<number> {
    const name = params.__internalParams?.jsModelName
    const jsName = typeof name === 'string' ? name : params.model.charAt(0).toLowerCase() + params.model.slice(1)
    const delegate = (this.#client as Record<string, Delegate | undefined>)[jsName]
    if (typeof delegate?.count !== 'function') return this.#opts.take.normal
    const args = (params.args ?? {}) as Record<string, unknown>
    const countArgs: Record<string, unknown> = {}
    for (const key of ['where', 'cursor', 'skip', 'orderBy']) if (args[key] !== undefined) countArgs[key] = args[key]
    const info = this.#models.get(params.model)
    const sample =
      info.learnt || info.given !== undefined || typeof delegate.findMany !== 'function'
        ? undefined
        : delegate.findMany({ where: args.where, take: SAMPLE_ROWS })
    const [rows, sampled] = await Promise.all([delegate.count(countArgs), sample])
    for (const row of sampled ?? []) if (row !== null && typeof row === 'object') info.learnRow(row)
    return rows
  }

  #priorityOf(model: string, operation: string): Priority {
    const p = this.#opts.priority
    if (typeof p !== 'function') return p
    let priority: unknown
    try {
      priority = p({ model, operation })
    } catch (error) {
      this.#target.report(error)
      throw error
    }
    if (!isPriority(priority)) {
      const error = new TypeError(
        `${W}: option \`priority\` must return one of 'critical', 'high', 'normal', 'low', got ${describe(priority)} for ${model}.${operation}`,
      )
      this.#target.report(error)
      throw error
    }
    return priority
  }
}
