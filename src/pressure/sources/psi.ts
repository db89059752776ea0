import type { SourceFloor } from '../types.js'
import { KeptFile } from './kept-file.js'

/**
 * How pressure stall information maps to a floor. PSI says what share of the last 10 s tasks
 * spent waiting for memory (reclaim, refaults, swap-in) instead of running: `some` when at
 * least one task waited, `full` when all of them did. That is latency users feel, so stalls
 * raise the floor; they do not by themselves bring a process near a limit, so they never
 * reach `emergency`.
 */
export const PSI_RULES = Object.freeze({
  /** `some avg10` ≥ 10 %: a tenth of the time something waited for memory. */
  warning: { some: 10, full: Infinity },
  /** `some avg10` ≥ 30 %, or `full avg10` ≥ 10 % (nothing ran for a tenth of the time). */
  critical: { some: 30, full: 10 },
})

/** `some avg10` and `full avg10` (percent) from a PSI file; undefined when it is not one. */
export function parsePsi(text: string): { some: number; full: number } | undefined {
  const some = /^some avg10=(\d+(?:\.\d+)?) /m.exec(text)?.[1]
  // `full` is missing on kernels before 5.13 for the system-wide file's cpu; for memory it is always there.
  const full = /^full avg10=(\d+(?:\.\d+)?) /m.exec(text)?.[1]
  if (some === undefined) return undefined
  return { some: Number(some), full: full === undefined ? 0 : Number(full) }
}

/**
 * A kept-open PSI file. Absent PSI (no file: a kernel without it, or booted with psi=0, which
 * makes reads fail with EOPNOTSUPP) is not an error: the reader switches itself off.
 */
export class Psi {
  readonly #file: KeptFile
  #off = false

  constructor(path: string) {
    this.#file = new KeptFile(path, 256)
  }

  /** The floor the stalls call for, or undefined; throws when the file holds garbage. */
  poll(): SourceFloor | undefined {
    if (this.#off) return undefined
    let text: string
    try {
      text = this.#file.read().text()
    } catch {
      this.#off = true
      this.#file.close()
      return undefined
    }
    const psi = parsePsi(text)
    if (psi === undefined)
      throw new Error(`${this.#file.path} is not pressure stall information: ${JSON.stringify(text.slice(0, 80))}`)
    const reason = `tasks waited for memory ${psi.some} % of the last 10 s (all of them ${psi.full} %)`
    const { warning, critical } = PSI_RULES
    if (psi.some >= critical.some || psi.full >= critical.full) return { level: 'critical', signal: 'psi', reason }
    if (psi.some >= warning.some || psi.full >= warning.full) return { level: 'warning', signal: 'psi', reason }
    return undefined
  }

  close(): void {
    this.#file.close()
  }
}
