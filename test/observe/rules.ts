// Reading the shipped alert rules (observability/prometheus-rules.yml) and Grafana dashboard from
// tests: the metric names an expression reads, and the rules with their expressions, `for` and
// annotations. The file is ours and plain (no anchors, no flow style), so lines are enough.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')
export const RULES = join(ROOT, 'observability', 'prometheus-rules.yml')
export const RULE_TESTS = join(ROOT, 'test', 'observe', 'prometheus-rules.test.yml')
export const DASHBOARD = join(ROOT, 'observability', 'grafana-dashboard.json')

/** Series Prometheus makes itself (per target), which the rules may read besides heapguard's. */
export const PROMETHEUS_SERIES: readonly string[] = ['up']

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
])

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords,
 * label names (inside `{…}` or a `by (…)` list), durations or strings.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
  const names = new Set<string>()
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0]
    const before = bare[match.index - 1]
    if (before !== undefined && /[0-9.]/.test(before)) continue // the unit of a number: 5m, 1e8
    if (/^\s*\(/.test(bare.slice(match.index + word.length))) continue // a function
    if (!PROMQL_WORDS.has(word.toLowerCase())) names.add(word)
  }
  return [...names]
}

export interface AlertRule {
  alert: string
  expr: string
  /** The `for:` duration as written, or undefined. */
  for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

/** The value of a `key: value` line, or of the `>-`/`|` block that follows it (joined as YAML folds `>-`). */
function scalar(lines: readonly string[], i: number, indent: string, rest: string): { value: string; end: number } {
  if (rest !== '>-' && rest !== '|' && rest !== '>') return { value: rest.replace(/^'(.*)'$/, '$1'), end: i }
  const block: string[] = []
  while (i + 1 < lines.length && (lines[i + 1]!.startsWith(`${indent}  `) || lines[i + 1]!.trim() === ''))
    block.push(lines[++i]!.trim())
  return { value: block.join(' ').trim(), end: i }
}

/** Every alerting rule of a rules file, in order. */
export function alertRules(yaml: string): AlertRule[] {
  const lines = yaml.split('\n')
  const rules: AlertRule[] = []
  let rule: AlertRule | undefined
  let section: 'labels' | 'annotations' | undefined
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const name = /^\s*- alert: (\S+)/.exec(line)
    if (name) {
      rule = { alert: name[1]!, expr: '', labels: {}, annotations: {} }
      rules.push(rule)
      section = undefined
      continue
    }
    if (rule === undefined) continue
    const field = /^(\s*)([a-z_]+): ?(.*)$/.exec(line)
    if (!field) continue
    const [, indent, key, rest] = field as unknown as [string, string, string, string]
    if (key === 'labels' || key === 'annotations') {
      section = key
      continue
    }
    const { value, end } = scalar(lines, i, indent, rest)
    i = end
    if (section !== undefined && indent.length > 8) rule[section][key] = value
    else if (key === 'expr') rule.expr = value
    else if (key === 'for') rule.for = value
  }
  return rules
}

export const shippedRules = (): AlertRule[] => alertRules(readFileSync(RULES, 'utf8'))
