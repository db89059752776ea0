// Starts one server variant as a child process with a 128 MiB heap and collects what it reports:
// heap samples, level changes, its exit (and the OOM message if it dies).
import { fork } from 'node:child_process'
import { HEAP_MIB } from './variants.mjs'

const SERVER = new URL('./server.mjs', import.meta.url)
const live = new Set()

// Never leave a server behind, whatever way the run ends.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130))
}

/** Forks the server for `variant`; resolves once it listens. */
export function startServer(variant, { readyTimeoutMs = 15_000 } = {}) {
  const child = fork(SERVER, [variant], {
    // SERVER_NODE_ARGS: more flags for the server, e.g. `--trace-gc` to see each collection.
    execArgv: [
      `--max-old-space-size=${HEAP_MIB}`,
      ...(process.env.SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  })
  live.add(child)
  const server = {
    child,
    port: 0,
    samples: [],
    changes: [],
    exit: null, // { at, code, signal, oom }
    stderr: '',
  }
  const reportWaiters = []
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (text) => {
    server.stderr = (server.stderr + text).slice(-8000)
    // Pass on what the server says, but not the native stack of an OOM abort.
    for (const line of text.split('\n')) {
      if (line.trim() !== '' && !/^\s*\d+: 0x[0-9a-f]+/.test(line)) process.stderr.write(`  [${variant}] ${line}\n`)
    }
  })
  child.on('message', (message) => {
    if (message.type === 'sample') server.samples.push(message)
    else if (message.type === 'level') server.changes.push(message)
    else if (message.type === 'report') reportWaiters.splice(0).forEach((resolve) => resolve(message))
  })
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child)
      server.exit = { at: Date.now(), code, signal, oom: /heap out of memory|Allocation failed/i.test(server.stderr) }
      reportWaiters.splice(0).forEach((resolve) => resolve(null))
      resolve(server.exit)
    })
  })

  /** The guard's own account (heapguard's transition counts…), or null if the server is gone. */
  server.report = (timeoutMs = 3000) => {
    if (server.exit !== null || !child.connected) return Promise.resolve(null)
    return new Promise((resolve) => {
      reportWaiters.push(resolve)
      child.send({ type: 'report' })
      setTimeout(() => resolve(null), timeoutMs).unref()
    })
  }

  /** Disconnects (the server closes itself); kills it if it has not exited within `graceMs`. */
  server.stop = async (graceMs = 3000) => {
    if (server.exit !== null) return server.exit
    if (child.connected) child.disconnect()
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    const exit = await exited
    clearTimeout(timer)
    return exit
  }

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server ${variant} did not start within ${readyTimeoutMs} ms`))
    }, readyTimeoutMs)
    child.on('message', function onReady(message) {
      if (message.type !== 'ready') return
      child.off('message', onReady)
      clearTimeout(timer)
      server.port = message.port
      server.readyAt = message.at
      resolve(server)
    })
    exited.then((exit) => {
      clearTimeout(timer)
      reject(
        new Error(
          `server ${variant} exited before listening (code ${exit.code}, signal ${exit.signal}):\n${server.stderr}`,
        ),
      )
    })
  })
}
