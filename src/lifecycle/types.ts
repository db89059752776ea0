/** What a shutdown hook receives. */
export interface ShutdownContext {
  /** Why: the signal name (`'SIGTERM'`), or the reason given to `shutdown()`. */
  reason: string
  /** Aborts when the shutdown timeout passes: stop waiting and return. */
  signal: AbortSignal
}

/** Closes something before the process exits (an HTTP server, a database pool). May be async. */
export type ShutdownHook = (context: ShutdownContext) => unknown

export interface ShutdownHookOptions {
  /** Registering a hook under a name already used replaces that hook (module reloads do this). */
  name?: string
}

export interface ShutdownOptions {
  /** Passed to the hooks. Default `'shutdown'`. */
  reason?: string
  /** How long the hooks may take together, in ms. Default 10 000; then the controller closes anyway. */
  timeoutMs?: number
}
