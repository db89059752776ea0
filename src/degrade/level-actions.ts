// SKELETON: replaced by the degradation work (issue 5).
import type { ControllerCore } from '../pressure/core.js'
import type { Level } from '../pressure/levels.js'
export type EmergencyOptions = Record<string, unknown>
export class LevelActions {
  constructor(readonly core: ControllerCore, options?: EmergencyOptions) { void options }
  onLevel(level: Level, fn: () => void): () => void {
    void level; void fn
    throw new Error('not built yet')
  }
}
