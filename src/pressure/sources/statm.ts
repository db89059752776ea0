import { KeptFile } from './kept-file.js'

/** Page sizes a Linux kernel may use (4 KiB on x86-64, 4/16/64 KiB on arm64 and ppc64): powers of two. */
const MIN_PAGE_LOG2 = 12
const MAX_PAGE_LOG2 = 16

/**
 * Resident memory from a kept-open `/proc/self/statm` (its second field, in pages), read with
 * one pread: ≈ 1 µs, where `process.memoryUsage.rss()` opens, reads and closes
 * `/proc/self/stat` (≈ 12 µs). Both report the kernel's resident-page counters (each summed with
 * its own per-CPU slack, so they differ by a few pages), so the page size is derived from them
 * once: RSS in bytes over resident pages is within a few per cent of the page size, and page
 * sizes are powers of two at least a factor of 2 apart. `open()` gives undefined where there is
 * no statm (not Linux) or the figures point at no page size.
 */
export class Statm {
  readonly #file: KeptFile
  readonly #pageSize: number

  private constructor(file: KeptFile, pageSize: number) {
    this.#file = file
    this.#pageSize = pageSize
  }

  static open(path = '/proc/self/statm', rss: () => number = () => process.memoryUsage.rss()): Statm | undefined {
    const file = new KeptFile(path, 128)
    try {
      const pages = file.read().number(1)
      const log2 = Math.log2(rss() / pages)
      const rounded = Math.round(log2)
      // Within ±10 % of a power of two, and a page size there is.
      if (Math.abs(log2 - rounded) < 0.15 && rounded >= MIN_PAGE_LOG2 && rounded <= MAX_PAGE_LOG2) {
        return new Statm(file, 2 ** rounded)
      }
    } catch {
      // No /proc (not Linux, or not mounted): the caller keeps process.memoryUsage.rss().
    }
    file.close()
    return undefined
  }

  /** Resident bytes now; throws when the file cannot be read, or holds no number. */
  rss(): number {
    const pages = this.#file.read().number(1)
    if (!Number.isFinite(pages))
      throw new Error(`${this.#file.path} holds no resident page count: ${JSON.stringify(this.#file.text())}`)
    return pages * this.#pageSize
  }

  close(): void {
    this.#file.close()
  }
}
