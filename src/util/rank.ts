/**
 * The position of each member of an ordered list, as a function: levels rank from `normal` (0)
 * up, priorities from `critical` (0) down. One lookup table, built once per list.
 */
export function rankOf<T extends string>(ordered: readonly T[]): (member: T) => number {
  const rank = Object.freeze(Object.fromEntries(ordered.map((member, i) => [member, i]))) as Readonly<Record<T, number>>
  return (member) => rank[member]
}
