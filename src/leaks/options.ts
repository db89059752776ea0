import { checkBoolean, checkNumber, checkOptions, optionKeys } from '../util/validate.js'

/** `createController({ leaks })`: see docs/leaks.md. */
export interface LeakOptions {
  /**
   * Default true: open a window by itself when the post-GC heap floor keeps rising (`trend()`), or
   * as soon as the level reaches `warning` while it rises; at most one per `cooldownMs`.
   */
  auto?: boolean
  /** Default 524_288 (512 KiB, the default of `--heap-prof` and the APM profilers): the sampler's mean bytes between samples. */
  intervalBytes?: number
  /** Default 250: a checkpoint whose forced full GC is expected to pause longer than this (ms) is skipped. */
  maxPauseMs?: number
  /** Default 60_000: how long a window lasts (`capture()` without `durationMs`, and an automatic window at least). */
  durationMs?: number
  /** Default 4: profile reads per window; the first is the baseline the others are compared with. */
  checkpoints?: number
  /** Default 1_800_000 (30 min): the least time between the starts of two windows opened automatically. */
  cooldownMs?: number
}

/** `pressure.leaks.capture(options)`. */
export interface CaptureOptions {
  /** How long the window lasts, ms; default the controller's `leaks.durationMs` (60_000). */
  durationMs?: number
  /** Profile reads in the window (at least 2), evenly spaced, the last at its end; default `leaks.checkpoints` (4). */
  checkpoints?: number
}

export interface ResolvedLeakOptions {
  auto: boolean
  intervalBytes: number
  maxPauseMs: number
  durationMs: number
  checkpoints: number
  cooldownMs: number
}

const LEAK_OPTION_KEYS = optionKeys<LeakOptions>({
  auto: true,
  intervalBytes: true,
  maxPauseMs: true,
  durationMs: true,
  checkpoints: true,
  cooldownMs: true,
})
const CAPTURE_KEYS = optionKeys<CaptureOptions>({ durationMs: true, checkpoints: true })

/** A day: longer windows would keep the sampler on for nothing the trend cannot say. */
const MAX_DURATION_MS = 86_400_000
const DURATION_RULE = { min: 100, max: MAX_DURATION_MS }
const CHECKPOINT_RULE = { min: 2, max: 100, integer: true }

export function resolveLeakOptions(value: unknown): ResolvedLeakOptions {
  const W = 'createController'
  const o = checkOptions<LeakOptions>(W, 'option `leaks`', value, LEAK_OPTION_KEYS)
  return {
    auto: checkBoolean(W, 'option `leaks.auto`', o.auto ?? true),
    intervalBytes: checkNumber(W, 'option `leaks.intervalBytes`', o.intervalBytes ?? 512 * 1024, {
      min: 1024,
      max: 2 ** 30,
      integer: true,
    }),
    maxPauseMs: checkNumber(W, 'option `leaks.maxPauseMs`', o.maxPauseMs ?? 250, { min: 0, max: 60_000 }),
    durationMs: checkNumber(W, 'option `leaks.durationMs`', o.durationMs ?? 60_000, DURATION_RULE),
    checkpoints: checkNumber(W, 'option `leaks.checkpoints`', o.checkpoints ?? 4, CHECKPOINT_RULE),
    cooldownMs: checkNumber(W, 'option `leaks.cooldownMs`', o.cooldownMs ?? 30 * 60_000, { min: 0 }),
  }
}

/** Checks `capture()` options alone (the dashboard's capture request), defaults left out. */
export function checkCapture(where: string, value: CaptureOptions): CaptureOptions {
  const o = checkOptions<CaptureOptions>(where, 'options', value, CAPTURE_KEYS)
  if (o.durationMs !== undefined) checkNumber(where, 'option `durationMs`', o.durationMs, DURATION_RULE)
  if (o.checkpoints !== undefined) checkNumber(where, 'option `checkpoints`', o.checkpoints, CHECKPOINT_RULE)
  return o
}

/** A capture's window: its options over the controller's defaults. */
export function resolveCapture(
  value: unknown,
  defaults: ResolvedLeakOptions,
): { durationMs: number; checkpoints: number } {
  const W = 'leaks.capture'
  const o = checkOptions<CaptureOptions>(W, 'options', value, CAPTURE_KEYS)
  return {
    durationMs: checkNumber(W, 'option `durationMs`', o.durationMs ?? defaults.durationMs, DURATION_RULE),
    checkpoints: checkNumber(W, 'option `checkpoints`', o.checkpoints ?? defaults.checkpoints, CHECKPOINT_RULE),
  }
}
