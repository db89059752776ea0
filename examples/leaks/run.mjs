// `node examples/leaks/run.mjs`: starts the orders API (server.mjs) under a 256 MiB heap, sends it
// traffic for a while, asks heapguard for a 30 s window through the dashboard (POST ?leaks=capture),
// and prints the report it serves (GET ?leaks=report). Build the library first (npx tsup).
//   Options: --seconds N (traffic before the window, default 10)
import { fork } from 'node:child_process'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' } } })
const here = import.meta.dirname
const child = fork(join(here, 'server.mjs'), [], {
  execArgv: ['--max-old-space-size=256'],
  env: { ...process.env, PORT: '0' },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
const { port, token } = await new Promise((resolve) => child.on('message', (m) => m.type === 'ready' && resolve(m)))
const agent = new Agent({ keepAlive: true, maxSockets: 32 })

function call(path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, agent, headers: { Authorization: `Bearer ${token}` } },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Traffic: orders for 300 customers and logins, about 150 requests a second, until stopped. */
function traffic() {
  let stop = false
  let n = 0
  const loop = async () => {
    while (!stop) {
      n++
      await Promise.all([
        call(`/orders?customer=${n % 300}`),
        call(`/orders?customer=${(n * 7) % 300}`),
        call(`/login?user=u${n}`),
      ])
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  const loops = Array.from({ length: 2 }, loop)
  return async () => {
    stop = true
    await Promise.all(loops)
  }
}

const stopTraffic = traffic()
console.log(`traffic for ${values.seconds} s, then a 30 s window...`)
await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000))
const started = await call('/heapguard?leaks=capture', 'POST')
if (started.status !== 202) throw new Error(`the capture did not start: ${started.status} ${started.body}`)
let report
do {
  await new Promise((r) => setTimeout(r, 1000))
  report = await call('/heapguard?leaks=report')
} while (report.status === 404 || JSON.parse((await call('/heapguard?format=json')).body).state.leaks.running)
report = await call('/heapguard?leaks=report')
const { state } = JSON.parse((await call('/heapguard?format=json')).body)
await stopTraffic()
console.log(`\n${report.body}`)
// The dashboard's state has each site's stack too (allocating frame first):
for (const [i, site] of state.leaks.report.sites.entries()) console.log(`#${i + 1}  ${site.stack.join('  <  ')}`)
agent.destroy()
child.kill('SIGTERM')
