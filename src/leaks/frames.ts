import { findSourceMap, type SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { CallFrame } from './profile.js'

/**
 * Where a frame's code comes from: the application, a package (under `node_modules`), Node's own
 * modules (`node:…`), or V8 itself (builtins such as `Map.prototype.set`, eval'd code, VM states
 * such as `(V8 API)`), which have no script URL.
 */
export type FrameKind = 'app' | 'package' | 'node' | 'native'

/** A frame as a report shows it: 1-based line, a file path where there is one, mapped through source maps. */
export interface ResolvedFrame {
  fn: string
  /** A path for files on disk, the URL for anything else; '' for native frames. */
  file: string
  /** 1-based; 0 when unknown. */
  line: number
  column: number
  kind: FrameKind
  /** The package a `node_modules` path belongs to (its scope included), or null. */
  package: string | null
}

const NODE_MODULES = /[\\/]node_modules[\\/]/g

/** The package of a path inside `node_modules` (the innermost one, scope included), or null. */
export function packageOf(file: string): string | null {
  let end = -1
  for (const match of file.matchAll(NODE_MODULES)) end = match.index + match[0].length
  if (end === -1) return null
  const [first, second] = file.slice(end).split(/[\\/]/)
  if (first === undefined || first === '' || first.startsWith('.')) return null
  return first.startsWith('@') && second !== undefined && second !== '' ? `${first}/${second}` : first
}

/** The kind of a frame's code, from its URL (or mapped file). */
export function kindOf(url: string): FrameKind {
  if (url === '') return 'native'
  if (url.startsWith('node:')) return 'node'
  return packageOf(url) === null ? 'app' : 'package'
}

/** A file URL as a path; any other URL (or a path) as it is. */
export function pathOf(url: string): string {
  if (!url.startsWith('file:')) return url
  try {
    return fileURLToPath(url)
  } catch {
    return url
  }
}

/**
 * Resolves frames, mapping them through the source maps Node holds for the process's modules
 * (`findSourceMap`: there are some when the process runs with `--enable-source-maps`, as tsx and
 * Next.js arrange), so that a TypeScript or bundled app reads its own file and line. One per
 * report: it remembers each script's map and each frame it resolved.
 */
export class FrameResolver {
  readonly #maps = new Map<string, SourceMap | null>()
  readonly #frames = new Map<string, ResolvedFrame>()

  resolve(frame: CallFrame): ResolvedFrame {
    const key = `${frame.url}\0${frame.lineNumber}\0${frame.columnNumber}\0${frame.functionName}`
    let resolved = this.#frames.get(key)
    if (resolved === undefined) {
      resolved = this.#resolve(frame)
      this.#frames.set(key, resolved)
    }
    return resolved
  }

  /** The frame with its position mapped (for the `.heapprofile`), or the frame itself when there is no map. */
  mapped(frame: CallFrame): CallFrame {
    const original = this.#original(frame)
    if (original === undefined) return frame
    return {
      ...frame,
      url: original.source,
      lineNumber: original.line,
      columnNumber: original.column,
      functionName: frame.functionName === '' ? (original.name ?? '') : frame.functionName,
    }
  }

  #resolve(frame: CallFrame): ResolvedFrame {
    const kind = kindOf(frame.url)
    const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName
    if (kind === 'native') return { fn, file: '', line: 0, column: 0, kind, package: null }
    const original = kind === 'node' ? undefined : this.#original(frame)
    const url = original?.source ?? frame.url
    const line = (original?.line ?? frame.lineNumber) + 1
    const column = (original?.column ?? frame.columnNumber) + 1
    const file = pathOf(url)
    const mappedKind = kind === 'node' ? kind : kindOf(url)
    return {
      fn: frame.functionName === '' && original?.name ? original.name : fn,
      file,
      line: Math.max(0, line),
      column: Math.max(0, column),
      kind: mappedKind,
      package: mappedKind === 'package' ? packageOf(file) : null,
    }
  }

  #original(frame: CallFrame): { source: string; line: number; column: number; name?: string } | undefined {
    if (frame.url === '' || frame.url.startsWith('node:') || frame.lineNumber < 0) return undefined
    const map = this.#map(frame.url)
    if (map === null) return undefined
    try {
      const entry = map.findEntry(frame.lineNumber, Math.max(0, frame.columnNumber)) as Partial<{
        originalSource: string
        originalLine: number
        originalColumn: number
        name: string
      }>
      if (typeof entry.originalSource !== 'string' || typeof entry.originalLine !== 'number') return undefined
      return {
        source: entry.originalSource,
        line: entry.originalLine,
        column: entry.originalColumn ?? 0,
        name: typeof entry.name === 'string' && entry.name !== '' ? entry.name : undefined,
      }
    } catch {
      return undefined
    }
  }

  #map(url: string): SourceMap | null {
    let map = this.#maps.get(url)
    if (map === undefined) {
      try {
        map = findSourceMap(url) ?? null
      } catch {
        // A URL Node cannot look up (not a file): no map.
        map = null
      }
      this.#maps.set(url, map)
    }
    return map
  }
}

/** `fn (file:line)`, `fn (native)`: one frame of a site's stack. */
export function frameText(frame: ResolvedFrame, shortFile: (file: string) => string = (f) => f): string {
  if (frame.kind === 'native') return `${frame.fn} (native)`
  return `${frame.fn} (${shortFile(frame.file)}:${frame.line})`
}
