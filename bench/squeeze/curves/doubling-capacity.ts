// An alternative regrowth curve for the squeeze: the capacity itself doubles at a steady pace,
// from what pressure left (at least 1) to the full capacity at progress 1 (geometric).
// bench/squeeze/build-curve.mjs bundles the library with this in place of src/caches/regrowth-curve.ts.
export function regrownCapacity(from: number, target: number, progress: number): number {
  if (progress >= 1 || from >= target || target === Infinity) return target
  const start = Math.max(from, 1)
  return Math.min(target, Math.max(from, Math.floor(start * (target / start) ** progress)))
}
