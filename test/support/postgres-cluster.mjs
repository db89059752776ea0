// A throwaway PostgreSQL cluster for the database tests and benchmarks: initdb into a temporary
// folder, a server listening only on a unix socket in that folder (no TCP port to collide with
// other servers on the machine), stopped and removed afterwards. Started in about a second.
//
// PostgreSQL refuses to run as root: as root the binaries run as the `postgres` user
// (`runuser -u postgres --`), which owns the folder. The binaries are taken from the folder named by
// HEAPGUARD_POSTGRES_BIN when it is set, else found on the PATH, else in Debian's
// /usr/lib/postgresql/<version>/bin (where `apt-get install postgresql` puts them).
import { execFileSync } from 'node:child_process'
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

/** The folder holding initdb, pg_ctl and postgres, or undefined. */
export function findPostgresBin() {
  const named = process.env.HEAPGUARD_POSTGRES_BIN
  if (named) return isExecutable(join(named, 'initdb')) && isExecutable(join(named, 'pg_ctl')) ? named : undefined
  const fromPath = (process.env.PATH ?? '').split(':').filter(Boolean)
  const debian = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    : []
  return [...fromPath, ...debian].find((dir) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl')))
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export const HOW_TO_ENABLE =
  'install PostgreSQL 15 or later (Debian: apt-get install postgresql) so that initdb and pg_ctl are on the PATH or in /usr/lib/postgresql/<version>/bin, or set HEAPGUARD_POSTGRES_BIN to their folder'

/**
 * Starts a cluster. Resolves with `{ available: true, host, user, stop() }` (host is the socket
 * folder: pass it as `host` to pg or in a URL's `?host=`), or `{ available: false, reason }` when
 * PostgreSQL cannot be started here.
 */
export function startCluster() {
  const bin = findPostgresBin()
  if (bin === undefined) return { available: false, reason: 'initdb and pg_ctl were not found' }
  const asRoot = process.getuid?.() === 0
  let owner
  if (asRoot) {
    try {
      owner = {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
      }
    } catch {
      return { available: false, reason: 'running as root without a `postgres` user to run the server as' }
    }
  }
  // Short: a unix socket's path is limited to 107 bytes.
  const dir = mkdtempSync('/tmp/heapguard-pg-')
  const data = join(dir, 'data')
  const run = (tool, args) => {
    const command = asRoot ? 'runuser' : join(bin, tool)
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args
    execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
  }
  const remove = () => rmSync(dir, { recursive: true, force: true })
  try {
    if (owner) chownSync(dir, owner.uid, owner.gid)
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
    const settings = [
      `-k ${dir}`,
      "-c listen_addresses=''",
      // A throwaway cluster: durability buys nothing.
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c shared_buffers=32MB',
      '-c max_connections=200',
      // The tests count the statements the server received (refusals must send none).
      '-c shared_preload_libraries=pg_stat_statements',
      '-c pg_stat_statements.track=all',
    ]
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', settings.join(' '), 'start'])
  } catch (error) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : ''
    remove()
    const detail = String(error.stderr ?? error.message).trim()
    return { available: false, reason: `PostgreSQL did not start: ${detail}${log ? `\n${log}` : ''}` }
  }
  let stopped = false
  return {
    available: true,
    host: dir,
    user: 'postgres',
    stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        remove()
      }
    },
  }
}
