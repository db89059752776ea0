// Runs one idle child (bench/lib/idle-child.mjs) for `seconds` and resolves with what it printed:
// `{ mode, wallMs, userUs, systemUs, samples }`. Shared by the idle benchmarks.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const child = fileURLToPath(new URL('./idle-child.mjs', import.meta.url))

export function runIdleChild(mode, seconds) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--no-warnings', child, mode, String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    p.on('error', reject)
    p.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)))
        : reject(new Error(`${mode} child exited with ${code}`)),
    )
  })
}

/** CPU over the child's window, as % of one core. */
export const cpuPercent = (r) => ((r.userUs + r.systemUs) / 1000 / r.wallMs) * 100
