const warned = new Set<string>()

/** A process warning, emitted at most once per code (as lru-cache does for its unbounded warning). */
export function warnOnce(code: string, message: string): void {
  if (warned.has(code)) return
  warned.add(code)
  process.emitWarning(message, { type: 'HeapguardWarning', code })
}
