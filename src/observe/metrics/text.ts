import { messageOf } from '../../util/validate.js'
import type { ObservedController } from '../observed.js'
import { METRICS, type Labels } from './definitions.js'
import { ScrapeSnapshot } from './scrape-snapshot.js'

/** The Prometheus text exposition format, version 0.0.4 (what every scraper reads). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * Every metric family of the controller as Prometheus text, read through one snapshot (each piece
 * of state once), with the same names, help, types and series as `collectMetrics()` gives a
 * prom-client registry. A family whose read fails is written with its HELP and TYPE, no series,
 * and a comment naming the failure: the rest of the scrape still goes out.
 */
export function renderMetrics(pressure: ObservedController, prefix: string): string {
  const snapshot = new ScrapeSnapshot(pressure)
  const lines: string[] = []
  for (const def of METRICS) {
    const name = prefix + def.name
    lines.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.type}`)
    const series: string[] = []
    try {
      def.read(snapshot, (labels, value) => series.push(`${name}${labelText(labels)} ${valueText(value)}`))
    } catch (error) {
      lines.push(`# heapguard: ${name} could not be read: ${messageOf(error).replace(/\n/g, ' ')}`)
      continue
    }
    lines.push(...series)
  }
  return `${lines.join('\n')}\n`
}

function labelText(labels: Labels): string {
  const names = Object.keys(labels)
  if (names.length === 0) return ''
  return `{${names.map((n) => `${n}="${escapeLabel(labels[n]!)}"`).join(',')}}`
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
const escapeLabel = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
