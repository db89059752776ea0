import { SourceError } from '../readings/source-reader.js'
import type { SourceContext } from '../types.js'
import { warnOnce } from '../../util/warn-once.js'

/**
 * A source's failures it survives (a file missing, unreadable, truncated or garbage), each
 * kind reported once: on the controller's `'error'` through the context, or as a process
 * warning when the source is read outside a controller. The source falls back meanwhile.
 */
export class Faults {
  readonly #source: string
  readonly #seen = new Set<string>()

  constructor(source: string) {
    this.#source = source
  }

  /** Reports a failure of this kind, unless one was reported already. */
  report(context: SourceContext | undefined, kind: string, message: string, cause?: unknown): void {
    if (this.#seen.has(kind)) return
    this.#seen.add(kind)
    this.notice(context, message, cause, kind)
  }

  /** Reports something every time (the caller decides how often: memory events). */
  notice(context: SourceContext | undefined, message: string, cause?: unknown, kind = message): void {
    const text = `heapguard: source "${this.#source}": ${message}`
    if (context === undefined) warnOnce('HEAPGUARD_SOURCE_FAULT', text, `${this.#source}\0${kind}`)
    else context.report(new SourceError(this.#source, text, cause === undefined ? undefined : { cause }))
  }
}
