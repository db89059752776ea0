// One heap for bench/leaks-pause.bench.mjs: fills the heap to SIZE MiB with retained small objects
// (the hardest shape for a collector: many objects to mark), lets the process run its own major
// GCs under some garbage, then captures WINDOWS leak windows and prints, as JSON, each window's
// longest checkpoint pause, the heap, and the controller's own mark-compact pauses (what a
// checkpoint's pause is predicted from).
//   node --max-old-space-size=2048 bench/leaks/pause-child.mjs SIZE [WINDOWS]
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { createController } from '../../dist/index.js'

const [sizeArg = '50', windowsArg = '3'] = process.argv.slice(2)
const target = Number(sizeArg) * 1024 * 1024
const majors = []
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(entry.duration)
}).observe({ entryTypes: ['gc'] })

// On globalThis: a local of the module's (async) body that is not used after the fill would be
// collected, V8 keeps only what is still live in a suspended function.
const kept = (globalThis.kept = [])
while (process.memoryUsage().heapUsed < target) {
  const batch = []
  for (let i = 0; i < 10_000; i++) batch.push({ i, label: `kept ${kept.length}:${i}` })
  kept.push(batch)
}
// Garbage for a while, so the process has major GCs of its own.
const makeGarbage = () => {
  const garbage = []
  for (let i = 0; i < 200_000; i++) garbage.push({ i })
  return garbage.length
}
for (let round = 0; round < 30; round++) {
  makeGarbage()
  await new Promise((r) => setTimeout(r, 20))
}
const natural = majors.splice(0)
const pressure = createController({ leaks: { auto: false, maxPauseMs: 60_000 }, logger: {} })
const pauses = []
for (let w = 0; w < Number(windowsArg); w++) {
  const report = await pressure.leaks.capture({ durationMs: 1000, checkpoints: 4 })
  pauses.push({ pauseMs: report.pauseMs, checkpoints: report.checkpoints, heap: report.heapBytes.last })
}
pressure.close()
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? null
process.stdout.write(
  `${JSON.stringify({ sizeMiB: Number(sizeArg), heapUsed: process.memoryUsage().heapUsed, naturalMajors: natural.length, naturalMedianMs: median(natural), naturalMaxMs: natural.length ? Math.max(...natural) : null, windows: pauses })}\n`,
)
