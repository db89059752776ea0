const warned = new Set<string>()

/**
 * A process warning, emitted at most once per code (as lru-cache does for its unbounded warning),
 * or once per code and `subject` when the same kind of warning can be about different things
 * (each redeclared flag warns once). The `code` stays stable for `process.on('warning')` filters.
 */
export function warnOnce(code: string, message: string, subject?: string): void {
  const key = subject === undefined ? code : `${code}\0${subject}`
  if (warned.has(key)) return
  warned.add(key)
  process.emitWarning(message, { type: 'HeapguardWarning', code })
}
