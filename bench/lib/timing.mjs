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
  return (await perAsyncCall(fn, ms)).wall
}

/**
 * Wall and CPU ns per call of an async `fn`, each call awaited before the next. The CPU time is
 * this process's (user + system): on a busy machine it is far less disturbed than the wall time
 * by the other processes (a database server among them).
 */
export async function perAsyncCall(fn, ms) {
  let calls = 0
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(ms * 1e6)
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 100; i++) await fn()
    calls += 100
    now = process.hrtime.bigint()
  }
  const used = process.cpuUsage(cpu)
  return { wall: Number(now - start) / calls, cpu: ((used.user + used.system) * 1000) / calls }
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
