// SKELETON: replaced by the degradation work (issue 5).
import type { ControllerCore } from '../pressure/core.js'
export class Limits {
  constructor(readonly core: ControllerCore) {}
}
