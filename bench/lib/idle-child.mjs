// One idle process for bench/idle-cpu.bench.mjs, bench/event-loop.bench.mjs and
// bench/leaks-idle.bench.mjs: with a started controller (defaults; the defaults with
// `leaks: { auto: false }`; or the defaults and an eventLoopSource(), its histogram ticking every
// 10, 20 or 50 ms) or without, it does nothing for the given time and prints the CPU it used
// (process.cpuUsage, all threads) over that window, after a 1 s settling period that keeps
// start-up out of the figure.
//   node bench/lib/idle-child.mjs controller|controller-noleaks|event-loop-10|event-loop-20|event-loop-50|bare SECONDS
import { createController, defaultSources, eventLoopSource } from '../../dist/index.js'

const [mode = 'bare', secondsArg = '30'] = process.argv.slice(2)
const seconds = Number(secondsArg)
let samples = 0
let pressure
const extra = {
  controller: () => [],
  'controller-noleaks': () => [],
  'event-loop-10': () => [eventLoopSource({ resolutionMs: 10 })],
  'event-loop-20': () => [eventLoopSource({ resolutionMs: 20 })],
  'event-loop-50': () => [eventLoopSource({ resolutionMs: 50 })],
}
if (mode !== 'bare' && !(mode in extra)) throw new Error(`unknown mode ${mode}`)
if (mode in extra) {
  const sources = [...defaultSources(), ...extra[mode]()]
  const leaks = mode === 'controller-noleaks' ? { auto: false } : undefined
  pressure = createController({ sources, logger: { warn() {}, error: console.error }, leaks })
  pressure.on('sample', () => samples++)
}
setTimeout(() => {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const samples0 = samples
  setTimeout(() => {
    const cpu = process.cpuUsage(cpu0)
    const wallMs = performance.now() - t0
    pressure?.close()
    process.stdout.write(
      `${JSON.stringify({ mode, wallMs, userUs: cpu.user, systemUs: cpu.system, samples: samples - samples0 })}\n`,
    )
  }, seconds * 1000)
}, 1000)
