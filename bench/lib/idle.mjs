// Runs bench/lib/idle-child.mjs in a child process and reads what it measured: the CPU of an idle
// process (with a controller of the given kind, or bare) over a window of `seconds`.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const child = fileURLToPath(new URL('./idle-child.mjs', import.meta.url))

/** `{ mode, wallMs, userUs, systemUs, samples }` of one idle child. */
export const runIdleChild = (mode, seconds) =>
  new Promise((resolve, reject) => {
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

/** CPU (user + system) over the window, as % of one core. */
export const cpuPercent = (r) => ((r.userUs + r.systemUs) / 1000 / r.wallMs) * 100
