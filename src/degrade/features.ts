// SKELETON: replaced by the degradation work (issue 5).
import type { ControllerCore } from '../pressure/core.js'
export class FeatureFlags {
  constructor(readonly core: ControllerCore) {}
}
