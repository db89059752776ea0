// An alternative regrowth curve for the squeeze: slow start, the growth above what pressure left
// doubles at a steady pace (1 entry, 2, 4, …) and reaches the full capacity at progress 1.
// bench/squeeze/build-curve.mjs bundles the library with this in place of src/caches/regrowth-curve.ts.
export function regrownCapacity(from: number, target: number, progress: number): number {
  if (progress >= 1 || from >= target || target === Infinity) return target
  const growth = Math.floor(2 ** (progress * Math.log2(target - from + 1)) - 1)
  return Math.min(target, from + Math.max(0, growth))
}
