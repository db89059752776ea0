import { checkFunction, checkString, describe, messageOf } from '../util/validate.js'
import type { WatchedGrowth } from './report.js'

type Size = () => number

/**
 * The collections a user suspects (`pressure.leaks.watch(name, () => map.size)`): their sizes are
 * read at each checkpoint of a window, and never otherwise, so watching costs nothing while no
 * window is open.
 */
export class WatchedCollections {
  readonly #sizes = new Map<string, Size>()
  readonly #report: (error: unknown) => void
  /** Names whose size function failed, reported once each until watched again. */
  readonly #failed = new Set<string>()

  constructor(report: (error: unknown) => void) {
    this.#report = report
  }

  /** Watches `size` under `name` (replacing an earlier one of that name); returns the function that stops it. */
  add(name: unknown, size: unknown): () => void {
    checkString('leaks.watch', 'argument `name`', name)
    const fn = checkFunction<Size>('leaks.watch', 'argument `size`', size)
    this.#sizes.set(name as string, fn)
    this.#failed.delete(name as string)
    return () => {
      if (this.#sizes.get(name as string) === fn) this.#sizes.delete(name as string)
    }
  }

  get size(): number {
    return this.#sizes.size
  }

  /** Every watched size now; a size function that throws or returns a non-number gives null (reported once). */
  read(): Map<string, number | null> {
    const out = new Map<string, number | null>()
    for (const [name, fn] of this.#sizes) out.set(name, this.#read(name, fn))
    return out
  }

  #read(name: string, fn: Size): number | null {
    let value: unknown
    try {
      value = fn()
    } catch (error) {
      this.#fail(name, `threw: ${messageOf(error)}`, error)
      return null
    }
    if (typeof value === 'number' && Number.isFinite(value)) return value
    this.#fail(name, `returned ${describe(value)}, not a finite number`)
    return null
  }

  #fail(name: string, what: string, cause?: unknown): void {
    if (this.#failed.has(name)) return
    this.#failed.add(name)
    this.#report(new Error(`heapguard: leaks.watch("${name}"): the size function ${what}`, { cause }))
  }
}

/** Each watched collection's growth, from its sizes at checkpoints taken at `times` (ms). */
export function watchedGrowth(
  readings: readonly Map<string, number | null>[],
  times: readonly number[],
): WatchedGrowth[] {
  const names = new Set<string>()
  for (const r of readings) for (const name of r.keys()) names.add(name)
  return [...names].map((name) => {
    const sizes = readings.map((r) => r.get(name) ?? null)
    let first = -1
    let last = -1
    let grew = sizes.length > 1
    for (let i = 0; i < sizes.length; i++) {
      if (sizes[i] === null) {
        grew = false
        continue
      }
      if (first === -1) first = i
      if (last !== -1 && !(sizes[i]! > sizes[last]!)) grew = false
      last = i
    }
    const seconds = first !== -1 && last > first ? (times[last]! - times[first]!) / 1000 : 0
    const perSecond = seconds > 0 ? (sizes[last]! - sizes[first]!) / seconds : 0
    return { name, sizes, perSecond, grew: grew && last > first }
  })
}
