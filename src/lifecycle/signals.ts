import { constants } from 'node:os'
import { checkBoolean, checkFunction, checkNumber, checkOptions, describe, MAX_TIMER_MS } from '../util/validate.js'
import type { ShutdownHook } from './types.js'

export interface CloseOnSignalsOptions {
  /** Default `['SIGINT', 'SIGTERM']`. */
  signals?: NodeJS.Signals[]
  /** How long the shutdown hooks may take together, in ms. Default 10 000. */
  timeoutMs?: number
  /** Hooks run after those registered with `onShutdown()`; removed with the handlers. */
  hooks?: ShutdownHook[]
  /** Default true: end the process after the shutdown. `false` leaves that to you. */
  exit?: boolean
}

export interface ResolvedSignalOptions {
  signals: NodeJS.Signals[]
  timeoutMs: number
  hooks: ShutdownHook[]
  exit: boolean
}

const W = 'closeOnSignals'
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000
/** These cannot be caught. */
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP'])

export function resolveSignalOptions(value: unknown): ResolvedSignalOptions {
  const options = checkOptions<CloseOnSignalsOptions>(W, 'options', value, ['signals', 'timeoutMs', 'hooks', 'exit'])
  const signals = options.signals ?? ['SIGINT', 'SIGTERM']
  if (!Array.isArray(signals) || signals.length === 0) {
    throw new TypeError(`${W}: option \`signals\` must be a non-empty array of signal names, got ${describe(signals)}`)
  }
  for (const signal of signals) {
    if (typeof signal !== 'string') {
      throw new TypeError(`${W}: option \`signals\` must hold signal names such as 'SIGTERM', got ${describe(signal)}`)
    }
    if (!Object.hasOwn(constants.signals, signal) || UNCATCHABLE.has(signal)) {
      throw new RangeError(
        `${W}: option \`signals\` must hold catchable signal names such as 'SIGTERM', got ${describe(signal)}`,
      )
    }
  }
  const hooks = options.hooks ?? []
  if (!Array.isArray(hooks))
    throw new TypeError(`${W}: option \`hooks\` must be an array of functions, got ${describe(hooks)}`)
  hooks.forEach((hook, i) => checkFunction(W, `option \`hooks[${i}]\``, hook))
  return {
    signals: [...new Set(signals)],
    timeoutMs: checkNumber(W, 'option `timeoutMs`', options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, {
      above: 0,
      max: MAX_TIMER_MS,
    }),
    hooks,
    exit: checkBoolean(W, 'option `exit`', options.exit ?? true),
  }
}

/** 128 + the signal's number: what a shell reports for a process the signal ended (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0)
}

/** Listens for `signals` on the process; returns the function that stops listening. */
export function listenForSignals(
  signals: readonly NodeJS.Signals[],
  onSignal: (signal: NodeJS.Signals) => void,
): () => void {
  const handler = (signal: NodeJS.Signals): void => onSignal(signal)
  for (const signal of signals) process.on(signal, handler)
  return () => {
    for (const signal of signals) process.removeListener(signal, handler)
  }
}
