// Sources the tests drive: a ratio set by hand, or bytes set by hand.
import type { Source } from '../../src/index.js'

export const MiB = 1024 * 1024

/** A source whose ratio the test sets; `limit` 1 so that `used / limit` is the ratio exactly. */
export interface ScriptedSource extends Source {
  ratio: number
  /** When set, read() returns this instead of a reading (or throws it, when it is an Error). */
  override: unknown
  reads: number
}

export function scriptedSource(name = 'fake', ratio = 0): ScriptedSource {
  const source: ScriptedSource = {
    name,
    ratio,
    override: undefined,
    reads: 0,
    read() {
      source.reads++
      if (source.override instanceof Error) throw source.override
      if (source.override !== undefined) return source.override as never
      return { used: source.ratio, limit: 1 }
    },
  }
  return source
}

/** A source whose bytes the test sets (limit 100 MiB by default); `failure`, when set, is thrown by read(). */
export interface BytesSource extends Source {
  used: number
  limit: number
  failure: Error | undefined
  reads: number
  read(): { used: number; limit: number }
}

export function bytesSource(name = 'heap', used = 0, limit = 100 * MiB): BytesSource {
  const source: BytesSource = {
    name,
    used,
    limit,
    failure: undefined,
    reads: 0,
    read() {
      source.reads++
      if (source.failure !== undefined) throw source.failure
      return { used: source.used, limit: source.limit }
    },
  }
  return source
}

/** The default limit of `bytesSource()`. */
export const LIMIT = 100 * MiB
