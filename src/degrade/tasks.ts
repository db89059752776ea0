// SKELETON: replaced by the degradation work (issue 5).
import type { ControllerCore } from '../pressure/core.js'
export class TaskScheduler {
  constructor(readonly core: ControllerCore) {}
}
