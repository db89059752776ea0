import { defaultSources } from './sources/defaults.js'
import { MODES, type Mode } from './delivery/level-bus.js'
import { resolveLiveCheck, type LiveCheckOptions, type ResolvedLiveCheck } from './level/live-check.js'
import { LiveTuning, type PressureTuning } from './level/tuning.js'
import type { GcSubscribe, Logger, Source } from './types.js'
import {
  checkBoolean,
  checkFunction,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkString,
  describe,
  MAX_TIMER_MS,
  optionKeys,
} from '../util/validate.js'

/** The options of the pressure controller itself; subsystems validate their own keys. */
export interface PressureOptions extends PressureTuning {
  /** Default `[heapSource(), rssSource()]`, plus `cgroupSource()` in a cgroup with a memory limit (`defaultSources()`). */
  sources?: Source[]
  /**
   * Default `'enforce'`. `'observe'`: levels, events and metrics as usual, but every subsystem
   * applies `normal` and the actions it would take are logged; switch with `pressure.mode`.
   */
  mode?: Mode
  /** Default true: also sample right after garbage collections. */
  sampleOnGc?: boolean
  /** Default 5: GC-triggered samples are at least this far apart (a burst of GCs samples once, then once more at its end). */
  gcCoalesceMs?: number
  /** Default true; false = no timer, no GC observer: the caller drives `sample()`. */
  autoStart?: boolean
  /** The clock in ms; default `performance.timeOrigin + performance.now()` (monotonic, epoch-based). */
  now?: () => number
  /** Default 600 samples kept. */
  historySize?: number
  /** Default: errors and warnings to `console`. Level changes go to `info` when it exists. */
  logger?: Logger
  /** The GC seam (tests, or another runtime); default a `PerformanceObserver` on `gc`. */
  subscribeGc?: GcSubscribe
  /**
   * When heapguard runs a full GC itself to learn what is live (a level held with no major GC
   * for a while); `false`: never. See docs/pressure.md#live-memory.
   */
  liveCheck?: LiveCheckOptions | false
}

export interface ResolvedPressureOptions {
  sources: readonly Source[]
  /** The level rules and the poll; `configure()` changes them in place. */
  tuning: LiveTuning
  mode: Mode
  sampleOnGc: boolean
  gcCoalesceMs: number
  autoStart: boolean
  now: () => number
  historySize: number
  logger: Logger
  subscribeGc: GcSubscribe | undefined
  liveCheck: ResolvedLiveCheck | false
}

const W = 'createController'

/** Read once: the getter goes through the binding on every call. */
const timeOrigin = performance.timeOrigin

/** Monotonic (performance.now) yet epoch-based, so `at` values read as dates too. */
export const defaultNow = (): number => timeOrigin + performance.now()

const defaultLogger: Logger = {
  warn: (...args: unknown[]) => console.warn(...args),
  error: (...args: unknown[]) => console.error(...args),
}

function resolveSources(value: unknown): Source[] {
  if (value === undefined) return defaultSources()
  if (!Array.isArray(value))
    throw new TypeError(`${W}: option \`sources\` must be an array of sources, got ${describe(value)}`)
  if (value.length === 0)
    throw new RangeError(`${W}: option \`sources\` must hold at least one source, got an empty array`)
  const names = new Set<string>()
  value.forEach((source: unknown, i) => {
    if (source === null || typeof source !== 'object') {
      throw new TypeError(`${W}: option \`sources[${i}]\` must be a source { name, read() }, got ${describe(source)}`)
    }
    const { name, read } = source as Partial<Source>
    checkString(W, `option \`sources[${i}].name\``, name)
    checkFunction(W, `option \`sources[${i}].read\``, read)
    for (const hook of ['poll', 'close'] as const) {
      const fn = (source as Partial<Source>)[hook]
      if (fn !== undefined) checkFunction(W, `option \`sources[${i}].${hook}\``, fn)
    }
    if (names.has(name!)) throw new TypeError(`${W}: option \`sources\` has two sources named ${JSON.stringify(name)}`)
    names.add(name!)
  })
  return value as Source[]
}

/** The clock is read once here, so a clock that returns garbage fails at construction, not at the first sample. */
function resolveNow(value: unknown): () => number {
  if (value === undefined) return defaultNow
  const now = checkFunction<() => unknown>(W, 'option `now`', value)
  checkNumber(W, 'the value returned by option `now`', now())
  return now as () => number
}

function resolveLogger(value: unknown): Logger {
  if (value === undefined) return defaultLogger
  if (value === null || typeof value !== 'object') {
    throw new TypeError(
      `${W}: option \`logger\` must be an object with info/warn/error methods, got ${describe(value)}`,
    )
  }
  for (const key of ['info', 'warn', 'error'] as const) {
    const fn = (value as Logger)[key]
    if (fn !== undefined && typeof fn !== 'function') {
      throw new TypeError(`${W}: option \`logger.${key}\` must be a function, got ${describe(fn)}`)
    }
  }
  return value
}

export const PRESSURE_OPTION_KEYS = optionKeys<PressureOptions>({
  sources: true,
  thresholds: true,
  hysteresis: true,
  recoveryMs: true,
  intervalMs: true,
  fastIntervalMs: true,
  sampleOnGc: true,
  gcCoalesceMs: true,
  autoStart: true,
  now: true,
  historySize: true,
  logger: true,
  subscribeGc: true,
  mode: true,
  liveCheck: true,
})

export function resolvePressureOptions(input: PressureOptions | undefined): ResolvedPressureOptions {
  const options = checkOptions<PressureOptions>(W, 'options', input, PRESSURE_OPTION_KEYS)
  const { thresholds, hysteresis, recoveryMs, intervalMs, fastIntervalMs } = options
  return {
    sources: Object.freeze(resolveSources(options.sources)),
    tuning: new LiveTuning({ thresholds, hysteresis, recoveryMs, intervalMs, fastIntervalMs }),
    mode: checkOneOf(W, 'option `mode`', options.mode ?? 'enforce', MODES),
    sampleOnGc: checkBoolean(W, 'option `sampleOnGc`', options.sampleOnGc ?? true),
    gcCoalesceMs: checkNumber(W, 'option `gcCoalesceMs`', options.gcCoalesceMs ?? 5, { min: 0, max: MAX_TIMER_MS }),
    autoStart: checkBoolean(W, 'option `autoStart`', options.autoStart ?? true),
    now: resolveNow(options.now),
    // The ring buffer is an array: its length is bounded by the array limit.
    historySize: checkNumber(W, 'option `historySize`', options.historySize ?? 600, {
      min: 1,
      max: 2 ** 32 - 1,
      integer: true,
    }),
    logger: resolveLogger(options.logger),
    subscribeGc:
      options.subscribeGc === undefined ? undefined : checkFunction(W, 'option `subscribeGc`', options.subscribeGc),
    liveCheck: resolveLiveCheck(options.liveCheck),
  }
}
