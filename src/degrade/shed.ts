// SKELETON: replaced by the shedding work (issue 4).
import type { ControllerCore } from '../pressure/core.js'
export type ShedOptions = Record<string, unknown>
export class Shedder {
  constructor(readonly core: ControllerCore, options?: ShedOptions) { void options }
}
