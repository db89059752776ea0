import type { Level } from '../levels.js'
import { floorName } from '../floors/floor-signals.js'
import type { LevelCause } from '../types.js'

/** The label of a cause on `memory_pressure_transitions_total{cause}`: its kind, or the floor's signal. */
export function causeLabel(cause: LevelCause): string {
  return cause.kind === 'floor' ? cause.signal : cause.kind
}

/**
 * One line for the log, the dashboard and `LevelChange.reason`:
 * - `heap 0.871 reached critical (0.85)`
 * - `gc: garbage collection takes 62 % of the time with the old generation 78 % full`
 * - `heap live 0.612 under the exit line of critical (0.80) for 5.0 s`
 * - `forced by force('emergency')`
 */
export function describeCause(cause: LevelCause, from: Level, to: Level): string {
  switch (cause.kind) {
    case 'ratio':
      return `${cause.source} ${cause.ratio.toFixed(3)} reached ${to} (${cause.threshold})`
    case 'floor':
      return `${floorName(cause)}: ${cause.reason}`
    case 'recovery':
      return `${cause.source} live ${cause.live.toFixed(3)} under the exit line of ${from} (${round(cause.line)}) for ${(cause.forMs / 1000).toFixed(1)} s`
    case 'forced':
      return `forced by force('${to}')`
    case 'released':
      return 'forced level released'
    case 'expired':
      return 'forced level expired'
    case 'mode':
      return `mode switched: the subsystems apply ${to}`
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
