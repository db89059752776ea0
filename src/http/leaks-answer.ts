import { checkCapture, type CaptureOptions } from '../leaks/options.js'
import type { ObservedController } from '../observe/observed.js'
import { messageOf } from '../util/validate.js'
import { isReadMethod, type HeaderRecord } from './answers.js'

/** A complete answer, whatever carries it (the node handler of `heapguard/http`, the Web one of `heapguard/web`). */
export interface LeaksAnswer {
  status: number
  contentType: string
  body: string
  headers: HeaderRecord
}

const JSON_TYPE = 'application/json; charset=utf-8'

const json = (status: number, value: unknown, headers: HeaderRecord = {}): LeaksAnswer => ({
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify(value),
  headers,
})

/**
 * The dashboard's leak requests, behind its token (the router checked it):
 * - `GET ?leaks=report` — the newest report as text (`toString()`), with the leak still held, if any;
 * - `GET ?leaks=heapprofile` — its last checkpoint as a `.heapprofile` download (Chrome DevTools, Memory tab);
 * - `POST ?leaks=capture[&durationMs=…&checkpoints=…]` — opens a window (202; the page shows the
 *   report when it ends); while one is open, that one goes on.
 */
export function answerLeaks(
  pressure: ObservedController,
  method: string | undefined,
  query: URLSearchParams,
): LeaksAnswer {
  const leaks = pressure.leaks
  if (leaks === undefined) return json(404, { error: 'this controller has no leaks (one from createController() has)' })
  const what = query.get('leaks')
  if (what === 'capture') return capture(pressure, method, query)
  if (what !== 'report' && what !== 'heapprofile') {
    return json(400, { error: `unknown leaks request ${JSON.stringify(what)}: use report, heapprofile or capture` })
  }
  if (!isReadMethod(method)) return json(405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' })
  const report = leaks.last
  if (report === undefined) {
    return json(404, {
      error: 'no leak report yet: capture one (POST ?leaks=capture), or wait for an automatic window',
    })
  }
  if (what === 'heapprofile') {
    const name = `heapguard-${stamp(report.at)}.heapprofile`
    return json(200, report.heapProfile(), { 'Content-Disposition': `attachment; filename="${name}"` })
  }
  const suspect = leaks.suspect
  const held =
    suspect === null
      ? ''
      : `\nheld: the post-GC heap holds ${mib(suspect.heldBytes)} more than when this growth was found (${mib(suspect.fromBytes)} → ${mib(suspect.floorBytes)})${suspect.rising ? '' : ', though it is not rising now'}`
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: `${String(report)}${held}\n`, headers: {} }
}

function capture(pressure: ObservedController, method: string | undefined, query: URLSearchParams): LeaksAnswer {
  if (method !== 'POST') return json(405, { error: 'a capture is started with POST' }, { Allow: 'POST' })
  let options: CaptureOptions
  try {
    options = checkCapture('dashboard ?leaks=capture', {
      durationMs: numberParam(query, 'durationMs'),
      checkpoints: numberParam(query, 'checkpoints'),
    })
  } catch (error) {
    return json(400, { error: messageOf(error) })
  }
  const leaks = pressure.leaks!
  const already = leaks.running
  // The outcome shows on the page (the newest report, or stats().lastError); nothing is awaited here.
  leaks.capture(options).catch(() => undefined)
  return json(202, { running: true, started: !already })
}

/** A query parameter as a number (undefined when absent; NaN when not a number, which the check refuses). */
function numberParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name)
  return value === null ? undefined : value.trim() === '' ? NaN : Number(value)
}

function stamp(at: number): string {
  // The controller's default clock is epoch-based; an injected clock may not be.
  return at > 1e12 ? new Date(at).toISOString().replace(/[:.]/g, '-') : String(Math.round(at))
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
