/**
 * How a cache grows back after pressure (contract §8): the capacity `progress` (0..1, the share
 * of `regrowMs` elapsed) of the way from `from`, what pressure left it, to `target`, its full
 * capacity. Slow start: the capacity doubles at a steady pace, so it creeps up while memory is
 * still close to where pressure began and speeds up only once pressure has stayed away
 * (measured against linear regrowth in the squeeze, see BENCHMARKS.md). A cache that pressure
 * emptied starts from one entry. Rounded down, never below `from` nor above `target`.
 */
export function regrownCapacity(from: number, target: number, progress: number): number {
  if (progress >= 1 || from >= target || target === Infinity) return target
  const start = Math.max(from, 1)
  const grown = Math.floor(start * (target / start) ** progress)
  return Math.min(target, Math.max(from, grown))
}
