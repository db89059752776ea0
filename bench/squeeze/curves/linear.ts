// The squeeze's alternative regrowth curve: linear from what pressure left to the full capacity.
// bench/squeeze/build-curve.mjs bundles the library with this in place of src/caches/regrowth-curve.ts.
export function regrownCapacity(from: number, target: number, progress: number): number {
  if (progress >= 1 || from >= target || target === Infinity) return target
  return Math.min(target, Math.max(from, Math.floor(from + (target - from) * progress)))
}
