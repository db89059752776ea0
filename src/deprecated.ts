/**
 * Public names on their way out: each keeps working, is marked `@deprecated` (editors strike it
 * through), is listed in CHANGELOG.md, and goes in 1.0. They are test seams, internal ports or
 * second names of something that has a first one. Only the entries import this file.
 * (Deprecated members of public interfaces are marked where they are declared:
 * `reservations.reserve`/`.reserved`, `limits.withTimeout`/`.inBatches`, `cache.invalidate`.)
 */
import type { IncomingMessage } from 'node:http'
import type { GuardTarget as Target } from './http/target.js'
import type { ShedMiddlewareOptions } from './http/node/middleware.js'
import type { ObservedController as Observed } from './observe/observed.js'
import { GC_EFFORT_RULES as gcEffortRules, type GcEffortRule as EffortRule } from './pressure/floors/gc-effort.js'
import { usableHeapLimit as heapLimit } from './pressure/sources/heap.js'
import { PSI_RULES as psiRules } from './pressure/sources/psi.js'

import type {
  MemoryLimit as Limit,
  MemoryLimitOrigin as LimitOrigin,
  MemoryLimitProbe as LimitProbe,
} from './pressure/sources/rss.js'

export { detectMemoryLimit } from './pressure/sources/rss.js'

/** @deprecated Since 0.2.0: what `detectMemoryLimit()` returns. To be removed in 1.0. */
export type MemoryLimit = Limit

/** @deprecated Since 0.2.0: `MemoryLimit['origin']`. To be removed in 1.0. */
export type MemoryLimitOrigin = LimitOrigin

/** @deprecated Since 0.2.0: the seam `detectMemoryLimit()` takes in heapguard's own tests. To be removed in 1.0. */
export type MemoryLimitProbe = LimitProbe

/**
 * @deprecated Since 0.2.0: the rule `heapSource()` applies, a seam for heapguard's own tests;
 * `heapSource().read().limit` gives this process's figure. To be removed in 1.0.
 */
export const usableHeapLimit: typeof heapLimit = heapLimit

/**
 * @deprecated Since 0.2.0: the GC-effort floors are internal tuning, described in
 * docs/sources.md; nothing reads this table. To be removed in 1.0.
 */
export const GC_EFFORT_RULES: typeof gcEffortRules = gcEffortRules

/** @deprecated Since 0.2.0: the type of `GC_EFFORT_RULES`. To be removed in 1.0. */
export type GcEffortRule = EffortRule

/**
 * @deprecated Since 0.2.0: the PSI floors are internal tuning, described in docs/sources.md;
 * nothing reads this table. To be removed in 1.0.
 */
export const PSI_RULES: typeof psiRules = psiRules

/** @deprecated Since 0.2.0: the same type as `ShedMiddlewareOptions`. To be removed in 1.0. */
export type ShedHttpOptions<Req = IncomingMessage> = ShedMiddlewareOptions<Req>

/**
 * @deprecated Since 0.2.0: the shape the Web adapters read from a controller, an internal port;
 * pass the controller, its type needs no name. To be removed in 1.0.
 */
export type GuardTarget = Target

/**
 * @deprecated Since 0.2.0: the shape the observers read from a controller, an internal port; pass
 * the controller, its type needs no name. To be removed in 1.0.
 */
export type ObservedController = Observed
