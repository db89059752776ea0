// The time scale of the live Prometheus test: the shipped rules file with every duration divided
// by a factor (each `for:`, and each duration inside an expression: range windows, subqueries,
// offsets), and nothing else changed. Values stay as they are, thresholds on seconds included
// (`memory_seconds_to_limit < 600` compares a projection, not a duration of the rule).

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
}

/** A Prometheus duration (`1h30m`, `90s`, `1500ms`) in ms. */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|[smhdwy])/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a duration: ${text}`)
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit!]!, 0)
}

/** ms as a Prometheus duration: whole seconds as `Ns`, anything finer as `Nms`. */
export function formatDuration(ms: number): string {
  const whole = Math.round(ms)
  if (whole <= 0) throw new RangeError(`a scaled duration must be at least 1 ms, got ${ms}`)
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`
}

/** A quoted string (left alone) or a duration (scaled); durations never follow a letter, digit or dot. */
const TOKEN = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|(?<![\w.])((?:\d+(?:ms|[smhdwy]))+)(?!\w)/g

export interface ScaledRules {
  yaml: string
  /** Every duration changed, in order: `for` values and those inside expressions. */
  changes: { from: string; to: string }[]
}

/** The rules file with every duration of its rules divided by `factor`. */
export function scaleRules(yaml: string, factor: number): ScaledRules {
  const changes: ScaledRules['changes'] = []
  const scale = (text: string): string => {
    const to = formatDuration(durationMs(text) / factor)
    changes.push({ from: text, to })
    return to
  }
  const scaleExpr = (text: string): string =>
    text.replace(TOKEN, (token: string, duration: string | undefined) =>
      duration === undefined ? token : scale(duration),
    )

  const lines = yaml.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const forLine = /^(\s*for: )(\S+)\s*$/.exec(lines[i]!)
    if (forLine) {
      lines[i] = forLine[1]! + scale(forLine[2]!)
      continue
    }
    const expr = /^(\s*)expr: ?(.*)$/.exec(lines[i]!)
    if (!expr) continue
    const [, indent, rest] = expr
    if (rest !== '>-' && rest !== '|' && rest !== '>') {
      lines[i] = `${indent}expr: ${scaleExpr(rest!)}`
      continue
    }
    while (i + 1 < lines.length && lines[i + 1]!.startsWith(`${indent}  `)) {
      i++
      lines[i] = scaleExpr(lines[i]!)
    }
  }
  return { yaml: lines.join('\n'), changes }
}
