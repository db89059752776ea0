/**
 * Deletes every entry whose key (and value) match; returns how many. The keys are collected
 * first: deleting while walking the cache would skip entries.
 */
export function deleteMatching<K, V>(
  entries: Iterable<[K, V]>,
  matches: (key: K, value: V) => boolean,
  remove: (key: K) => unknown,
): number {
  const doomed: K[] = []
  for (const [key, value] of entries) if (matches(key, value)) doomed.push(key)
  for (const key of doomed) remove(key)
  return doomed.length
}
