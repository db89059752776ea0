// One idle process for bench/idle-cpu.bench.mjs: with a started controller (defaults) or without,
// it does nothing for the given time and prints the CPU it used (process.cpuUsage, all threads)
// over that window, after a 1 s settling period that keeps start-up out of the figure.
// `controller-noleaks` is the same controller with `leaks: { auto: false }` (bench/leaks-idle.bench.mjs).
//   node bench/lib/idle-child.mjs controller|controller-noleaks|bare SECONDS
import { createController } from '../../dist/index.js'

const [mode = 'bare', secondsArg = '30'] = process.argv.slice(2)
const seconds = Number(secondsArg)
let samples = 0
let pressure
if (mode === 'controller' || mode === 'controller-noleaks') {
  const leaks = mode === 'controller-noleaks' ? { auto: false } : undefined
  pressure = createController({ logger: { warn() {}, error: console.error }, leaks })
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
