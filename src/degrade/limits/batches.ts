import { checkFunction, checkOptions, describe } from '../../util/validate.js'
import { checkSignal } from '../../util/abort-signal.js'
import { readCount, type Scalable } from './scaled-value.js'

/**
 * What `loadPage` is asked for. Offset and limit come under both common names. `last` is typed
 * `any` unless you annotate the parameter (`(req: BatchRequest<User>) => …`): TypeScript cannot
 * infer the item type from a callback's return and feed it to that same callback's parameter,
 * and typing `last` by the item type would turn every unannotated loader's items into `unknown`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: `unknown` would type every unannotated loader's items as unknown
export interface BatchRequest<T = any> {
  offset: number
  limit: number
  /** Same as `offset` (Prisma's name). */
  skip: number
  /** Same as `limit` (Prisma's name). */
  take: number
  /** The last item of the previous page (undefined for the first): for keyset pagination (`WHERE id > last.id`). */
  last: T | undefined
  signal: AbortSignal | undefined
}

export interface BatchOptions {
  /** Items per page: a number, or a scaled value read before each page, so batches shrink under pressure. */
  batchSize: Scalable
  /** Stops the iteration (it throws the signal's reason) before the next page is loaded. */
  signal?: AbortSignal
}

export type LoadPage<T> = (request: BatchRequest) => readonly T[] | PromiseLike<readonly T[]>

/**
 * Pages through a data source instead of loading it whole: yields one array per page, and stops
 * after an empty page or a page shorter than asked. `batchSize` is read before each page
 * (fractional values are rounded down, the least is 1). Arguments are checked at the call.
 *
 *   for await (const users of inBatches((p) => db.user.findMany({ skip: p.skip, take: p.take }), { batchSize: 500 })) { … }
 */
export function inBatches<T>(loadPage: LoadPage<T>, options: BatchOptions): AsyncGenerator<T[], void, undefined> {
  const W = 'inBatches'
  checkFunction(W, 'argument `loadPage`', loadPage)
  if (options === undefined) throw new TypeError(`${W}: options must be an object with \`batchSize\`, got undefined`)
  const opts = checkOptions<BatchOptions>(W, 'options', options, ['batchSize', 'signal'])
  const signal = checkSignal(W, 'option `signal`', opts.signal)
  const batchSize = opts.batchSize
  readCount(W, 'option `batchSize`', batchSize, 1)
  return pages(loadPage, batchSize as Scalable, signal)
}

async function* pages<T>(
  loadPage: LoadPage<T>,
  batchSize: Scalable,
  signal: AbortSignal | undefined,
): AsyncGenerator<T[], void, undefined> {
  let offset = 0
  let last: unknown
  for (;;) {
    signal?.throwIfAborted()
    const limit = readCount('inBatches', 'option `batchSize`', batchSize, 1)
    const page: unknown = await loadPage({ offset, limit, skip: offset, take: limit, last, signal })
    if (!Array.isArray(page)) {
      throw new TypeError(
        `inBatches: loadPage must return an array (or a promise of one), got ${describe(page)} for offset ${offset}`,
      )
    }
    if (page.length === 0) return
    offset += page.length
    last = page[page.length - 1]
    yield page as T[]
    if (page.length < limit) return
  }
}
