import v8 from 'node:v8'
import type { Source } from './types.js'

const MiB = 1024 * 1024

/** V8's default semi-space on 64-bit builds (Node 20: `heap_size_limit` = old space + 3 × 16 MiB). */
const DEFAULT_SEMI_SPACE_MiB = 16

export interface HeapSourceOptions {
  /** Source name; default `'heap'`. */
  name?: string
  /** Overrides the computed limit (bytes), e.g. for a worker with its own `resourceLimits`. */
  limit?: number
  /** Where V8 flags are read from; defaults to `process.execArgv` and `NODE_OPTIONS`. */
  flags?: { execArgv?: readonly string[]; nodeOptions?: string }
}

/**
 * Reads a V8 size flag given in MiB (`--max-old-space-size=64`, `--max_old_space_size 64`).
 * NODE_OPTIONS are applied before the command line, so the command line wins; within one list
 * the last occurrence wins, as in V8.
 */
export function readSizeFlagMiB(
  name: string,
  execArgv: readonly string[],
  nodeOptions: string,
): number | undefined {
  const wanted = name.replace(/_/g, '-')
  let found: number | undefined
  const scan = (args: readonly string[]): void => {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!
      if (!arg.startsWith('--')) continue
      const eq = arg.indexOf('=')
      const flag = (eq === -1 ? arg : arg.slice(0, eq)).replace(/_/g, '-')
      if (flag !== wanted) continue
      const raw = eq === -1 ? args[i + 1] : arg.slice(eq + 1)
      const value = Number(raw)
      if (raw !== undefined && raw !== '' && Number.isFinite(value) && value > 0) found = value
    }
  }
  scan(nodeOptions.split(/\s+/).filter(Boolean))
  scan(execArgv)
  return found
}

/**
 * The heap a process can really use before V8 gives up with "heap out of memory".
 *
 * `heap_size_limit` counts the old generation plus a young-generation reserve of three
 * semi-spaces (two semi-spaces and the new large-object space), which live objects never fill:
 * under `--max-old-space-size=64` it reads 112 MiB while the process dies at about 64 MiB used.
 * The rule:
 * 1. `--max-old-space-size=N` given (command line or NODE_OPTIONS): the limit is N MiB.
 * 2. Otherwise: `heap_size_limit − 3 × semi-space`, the semi-space being
 *    `--max-semi-space-size` when given, else V8's 16 MiB default.
 * The result never exceeds `heap_size_limit` and never goes below half of it.
 */
export function usableHeapLimit(
  heapSizeLimit: number,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): number {
  const oldSpaceMiB = readSizeFlagMiB('max-old-space-size', execArgv, nodeOptions)
  if (oldSpaceMiB !== undefined) return Math.min(heapSizeLimit, oldSpaceMiB * MiB)
  const semiSpaceMiB = readSizeFlagMiB('max-semi-space-size', execArgv, nodeOptions) ?? DEFAULT_SEMI_SPACE_MiB
  return Math.max(heapSizeLimit / 2, heapSizeLimit - 3 * semiSpaceMiB * MiB)
}

/**
 * The V8 heap: `used_heap_size` against the usable heap limit (see {@link usableHeapLimit}).
 * The limit is computed once; V8 does not change it during the life of a process.
 */
export function heapSource(options: HeapSourceOptions = {}): Source {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`heapSource: options must be an object, got ${String(options)}`)
  }
  const { name = 'heap', limit: fixedLimit, flags } = options
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`heapSource: option \`name\` must be a non-empty string, got ${JSON.stringify(name)}`)
  }
  if (fixedLimit !== undefined && !(typeof fixedLimit === 'number' && Number.isFinite(fixedLimit) && fixedLimit > 0)) {
    throw new RangeError(`heapSource: option \`limit\` must be a positive number of bytes, got ${String(fixedLimit)}`)
  }
  const limit =
    fixedLimit ??
    usableHeapLimit(
      v8.getHeapStatistics().heap_size_limit,
      flags?.execArgv ?? process.execArgv,
      flags?.nodeOptions ?? process.env.NODE_OPTIONS ?? '',
    )
  return {
    name,
    read: () => ({ used: v8.getHeapStatistics().used_heap_size, limit }),
  }
}
