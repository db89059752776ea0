// SKELETON: replaced by the caches work (issue 3).
import type { ControllerCore } from '../pressure/core.js'
export type CachePolicyOptions = Record<string, Record<string, number>>
export class CacheRegistry {
  constructor(readonly core: ControllerCore, policy?: CachePolicyOptions) { void policy }
}
