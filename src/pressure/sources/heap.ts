import os from 'node:os'
import v8 from 'node:v8'
import { resourceLimits as workerResourceLimits } from 'node:worker_threads'
import type { Source } from '../types.js'
import { HeapCount } from './heap-count.js'
import { checkNumber, checkOptions, checkString, describe } from '../../util/validate.js'

const W = 'heapSource'
const MiB = 1024 * 1024

/** V8's default semi-space on 64-bit builds (Node 20: `heap_size_limit` = old space + 3 × 16 MiB). */
const DEFAULT_SEMI_SPACE_MiB = 16

export interface HeapSourceOptions {
  /** Source name; default `'heap'`. */
  name?: string
  /** Overrides the computed limit (bytes): a budget of your own, below what V8 allows. */
  limit?: number
  /**
   * Where the limits are read from, in place of `process.execArgv`, `NODE_OPTIONS` and (in a
   * worker thread) `worker_threads.resourceLimits.maxOldGenerationSizeMb`; a field left out
   * counts as not set.
   */
  flags?: { execArgv?: readonly string[]; nodeOptions?: string; workerOldGenerationMb?: number }
}

/**
 * Reads a V8 size flag given in MiB (`--max-old-space-size=64`, `--max_old_space_size=64`).
 * NODE_OPTIONS are applied before the command line, so the command line wins; within one list
 * the last occurrence wins, as in V8. Only the `--flag=value` form counts: Node 20 refuses
 * `--max-old-space-size 64` ("illegal value for flag"), so no running process can have it.
 */
export function readSizeFlagMiB(name: string, execArgv: readonly string[], nodeOptions: string): number | undefined {
  const wanted = `--${name.replace(/_/g, '-')}`
  let found: number | undefined
  const scan = (args: readonly string[]): void => {
    for (const arg of args) {
      const eq = arg.indexOf('=')
      if (!arg.startsWith('--') || eq === -1) continue
      if (arg.slice(0, eq).replace(/_/g, '-') !== wanted) continue
      const raw = arg.slice(eq + 1)
      const value = Number(raw)
      if (raw !== '' && Number.isFinite(value) && value > 0) found = value
    }
  }
  scan(nodeOptions.split(/\s+/).filter(Boolean))
  scan(execArgv)
  return found
}

/**
 * `--max-old-space-size-percentage=P` (Node ≥ 22.20 / 24.8): P % of the available memory, in
 * (0, 100]. It is a Node option, not a V8 flag, so `--flag P` counts as well as `--flag=P`.
 * NODE_OPTIONS first, the command line last, the last occurrence winning, as for the size flag.
 */
export function readPercentFlag(execArgv: readonly string[], nodeOptions: string): number | undefined {
  let found: number | undefined
  const scan = (args: readonly string[]): void => {
    args.forEach((arg, i) => {
      const eq = arg.indexOf('=')
      const name = (eq === -1 ? arg : arg.slice(0, eq)).replace(/_/g, '-')
      if (name !== '--max-old-space-size-percentage') return
      const raw = eq === -1 ? args[i + 1] : arg.slice(eq + 1)
      const value = Number(raw)
      if (raw !== undefined && raw !== '' && value > 0 && value <= 100) found = value
    })
  }
  scan(nodeOptions.split(/\s+/).filter(Boolean))
  scan(execArgv)
  return found
}

/**
 * The memory `--max-old-space-size-percentage` takes its share of, as Node computes it: the
 * constrained memory when there is a real constraint (not 0, not 2^64 − 1), else total memory.
 */
export function availableMemory(): number {
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0
  return constrained > 0 && constrained < 2 ** 60 ? constrained : os.totalmem()
}

/**
 * The heap a process can really use before V8 gives up with "heap out of memory".
 *
 * `heap_size_limit` counts the old generation plus a young-generation reserve of three
 * semi-spaces (two semi-spaces and the new large-object space), which live objects never fill:
 * under `--max-old-space-size=64` it reads 112 MiB while the process dies at about 64 MiB used.
 * The rule, first that applies:
 * 0. `--max-old-space-size-percentage=P` given (it takes precedence over the size flag, as in
 *    Node): P % of `availableMemory()`, in whole MiB.
 * 1. `--max-old-space-size=N` given (command line or NODE_OPTIONS): the limit is N MiB. V8 flags
 *    are process-wide, so this holds in worker threads too.
 * 2. In a worker thread: its `resourceLimits.maxOldGenerationSizeMb`.
 * 3. Otherwise: `heap_size_limit − 3 × semi-space`, the semi-space being
 *    `--max-semi-space-size` when given, else V8's 16 MiB default (Node 20).
 * The result never exceeds `heap_size_limit`, and rule 3 never goes below half of it.
 */
export function usableHeapLimit(
  heapSizeLimit: number,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  /** A worker's `resourceLimits.maxOldGenerationSizeMb`; 0 for none. Default: this thread's. */
  workerOldGenerationMb: number | undefined = workerResourceLimits.maxOldGenerationSizeMb,
  /** What `--max-old-space-size-percentage` takes its share of (bytes). Default: `availableMemory()`. */
  memory?: number,
): number {
  const percent = readPercentFlag(execArgv, nodeOptions)
  if (percent !== undefined) {
    const mib = Math.floor(((memory ?? availableMemory()) * percent) / 100 / MiB)
    if (mib > 0) return Math.min(heapSizeLimit, mib * MiB)
  }
  const oldSpaceMiB = readSizeFlagMiB('max-old-space-size', execArgv, nodeOptions) ?? positive(workerOldGenerationMb)
  if (oldSpaceMiB !== undefined) return Math.min(heapSizeLimit, oldSpaceMiB * MiB)
  const semiSpaceMiB = readSizeFlagMiB('max-semi-space-size', execArgv, nodeOptions) ?? DEFAULT_SEMI_SPACE_MiB
  return Math.max(heapSizeLimit / 2, heapSizeLimit - 3 * semiSpaceMiB * MiB)
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined
}

/**
 * The V8 heap as V8 counts it against its limit (see `HeapCount`: the old generation's objects and
 * large objects, and the free pages V8 did not manage to reuse), against the usable heap limit
 * (see {@link usableHeapLimit}). The limit is computed once; V8 does not change it during the
 * life of a process.
 */
export function heapSource(options: HeapSourceOptions = {}): Source {
  const o = checkOptions<HeapSourceOptions>(W, 'options', options, ['name', 'limit', 'flags'])
  const name = o.name === undefined ? 'heap' : checkString(W, 'option `name`', o.name)
  const fixedLimit = o.limit === undefined ? undefined : checkNumber(W, 'option `limit`', o.limit, { above: 0 })
  const limit = fixedLimit ?? computeLimit(o.flags)
  const count = new HeapCount(limit)
  const source: Source = {
    name,
    read: (context) => ({ used: count.read(context?.majorGcs), limit }),
  }
  v8Heaps.add(source)
  return source
}

const v8Heaps = new WeakSet<Source>()

/** True for a source built by `heapSource()`: it reads this isolate's heap, so a GC here changes it. */
export function readsV8Heap(source: Source): boolean {
  return v8Heaps.has(source)
}

/** With `flags` given, they replace the process's: a field left out counts as not set. */
function computeLimit(value: HeapSourceOptions['flags']): number {
  const heapSizeLimit = v8.getHeapStatistics().heap_size_limit
  if (value === undefined) return usableHeapLimit(heapSizeLimit)
  const flags = checkOptions<NonNullable<HeapSourceOptions['flags']>>(W, 'option `flags`', value, [
    'execArgv',
    'nodeOptions',
    'workerOldGenerationMb',
  ])
  const { execArgv = [], nodeOptions = '', workerOldGenerationMb = 0 } = flags
  if (!Array.isArray(execArgv) || !execArgv.every((arg) => typeof arg === 'string')) {
    throw new TypeError(`${W}: option \`flags.execArgv\` must be an array of strings, got ${describe(execArgv)}`)
  }
  if (typeof nodeOptions !== 'string') {
    throw new TypeError(`${W}: option \`flags.nodeOptions\` must be a string, got ${describe(nodeOptions)}`)
  }
  checkNumber(W, 'option `flags.workerOldGenerationMb`', workerOldGenerationMb, { min: 0 })
  return usableHeapLimit(heapSizeLimit, execArgv, nodeOptions, workerOldGenerationMb)
}
