/**
 * How a cache grows back after pressure (contract §8): the capacity `progress` (0..1, the share
 * of `regrowMs` elapsed) of the way from `from`, what pressure left it, to `target`, its full
 * capacity: a straight line, rounded down, never below `from` nor above `target`.
 *
 * Chosen by measurement (BENCHMARKS.md, the regrowth benchmark): against a slow start (the
 * growth doubling from 1 entry) and a doubling of the capacity itself, the straight line
 * oscillated least in the squeeze and kept the hot-set hit ratio of an immediate restore. A curve
 * that stays near what pressure left lets the next onset freeze the reference lower each time
 * (the reference rule), and the smaller cache then recovers and regrows again: more cycles.
 */
export function regrownCapacity(from: number, target: number, progress: number): number {
  if (progress >= 1 || from >= target || target === Infinity) return target
  return Math.min(target, Math.max(from, Math.floor(from + (target - from) * progress)))
}
