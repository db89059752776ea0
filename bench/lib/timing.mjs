// Per-call timing for micro-benchmarks: runs batches of calls until `ms` have passed and returns
// the mean ns per call. Interleave cases across rounds and take the median, so drift on a shared
// machine hits every case alike.

/** ns per call of a synchronous `fn`. */
export function nsPerCall(fn, ms) {
  let calls = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(ms * 1e6)
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) fn()
    calls += 1000
    now = process.hrtime.bigint()
  }
  return Number(now - start) / calls
}

/** ns per call of an async `fn`, each call awaited before the next. */
export async function nsPerAsyncCall(fn, ms) {
  let calls = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(ms * 1e6)
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 100; i++) await fn()
    calls += 100
    now = process.hrtime.bigint()
  }
  return Number(now - start) / calls
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
