import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { createController } from '../../src/index.js'
import { collectMetrics } from '../../src/prometheus.js'
import { isExecutable, requirement } from '../support/machine.js'
import { bytesSource } from '../support/sources.js'
import {
  alertRules,
  DASHBOARD,
  metricNames,
  PROMETHEUS_SERIES,
  ROOT,
  RULE_TESTS,
  RULES,
  shippedRules,
} from './rules.js'

// The alert rules and the Grafana dashboard shipped in observability/ (package.json `files`):
// every expression must name metrics heapguard publishes, and parse as PromQL. What the rules do
// is tested by promtool (test/observe/prometheus-rules.test.yml, run below) and in a real
// Prometheus against live processes (prometheus-live.test.ts).

const root = ROOT

const pressure = createController({ autoStart: false, sources: [bytesSource()], logger: {} })
afterAll(() => pressure.close())
const published = new Set(collectMetrics(pressure, { registry: new Registry() }).names)

interface Panel {
  id: number
  type: string
  title: string
  gridPos: { h: number; w: number; x: number; y: number }
  targets?: { expr: string; refId: string }[]
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  uid: string
  title: string
  panels: Panel[]
  templating: { list: { name: string; type: string }[] }
}
const panels = dashboard.panels.filter((p) => p.type !== 'row')
const dashboardExpressions = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })))

/** A dashboard expression as Prometheus would receive it: Grafana's variables filled in. */
function asPromql(expr: string): string {
  return expr
    .replaceAll('${prefix}', '')
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__range', '3h')
    .replace(/\$(job|instance)\b/g, '.*')
}

describe('the shipped Prometheus alert rules', () => {
  const rules = shippedRules()

  it('alert on each level, the trend, a leak held, shedding, flapping, drills and observe mode, and processes that died', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'HeapguardMemoryWarning',
      'HeapguardMemoryCritical',
      'HeapguardMemoryEmergency',
      'HeapguardHeapReachesLimitSoon',
      'HeapguardHeapReachesLimitVerySoon',
      'HeapguardMemoryLeakHeld',
      'HeapguardShedding',
      'HeapguardSheddingHighPriority',
      'HeapguardLevelFlapping',
      'HeapguardObserveModeWouldAct',
      'HeapguardLevelForced',
      'HeapguardTargetDown',
      'HeapguardDiedUnderPressure',
      'HeapguardMetricsAbsent',
    ])
  })

  it('give every alert a severity, a summary and a description', () => {
    for (const rule of rules) {
      expect(['info', 'warning', 'critical'], rule.alert).toContain(rule.labels.severity)
      expect(rule.annotations.summary ?? '', rule.alert).not.toBe('')
      expect(rule.annotations.description ?? '', rule.alert).not.toBe('')
    }
  })

  it('read levels from the measured level, so a forced level (a drill) neither pages nor flaps', () => {
    for (const rule of rules) {
      // memory_pressure_level (the effective level, forced included) only says "this target exports heapguard"
      if (metricNames(rule.expr).includes('memory_pressure_level'))
        expect(rule.expr, rule.alert).toMatch(/^(absent|up == 0 and on \(job, instance\) present_over_time)\(/)
    }
  })

  it('name only metrics heapguard publishes (and up, which Prometheus adds to every target)', () => {
    for (const { alert, expr } of rules) {
      const names = metricNames(expr)
      expect(names.length, alert).toBeGreaterThan(0)
      for (const name of names)
        if (!PROMETHEUS_SERIES.includes(name)) expect(published, `${alert}: ${name} in ${expr}`).toContain(name)
    }
  })

  it('the rules reader sees expressions, durations, labels and folded annotations', () => {
    const [rule] = alertRules(
      [
        'groups:',
        '  - name: g',
        '    rules:',
        '      - alert: A',
        '        expr: >-',
        '          rate(x[1m])',
        '            > 0',
        '        for: 2m',
        '        labels:',
        '          severity: info',
        '        annotations:',
        "          summary: 'one {{ $value }}'",
        '          description: >-',
        '            two',
        '            three',
      ].join('\n'),
    )
    expect(rule).toEqual({
      alert: 'A',
      expr: 'rate(x[1m]) > 0',
      for: '2m',
      labels: { severity: 'info' },
      annotations: { summary: 'one {{ $value }}', description: 'two three' },
    })
  })

  it('the name extraction sees through functions, label matchers, grouping and durations', () => {
    expect(
      metricNames(
        'sum without (priority) (rate(requests_shed_total{priority="high"}[5m])) / on (job) foo_total > 0.01 and bar == 1e8',
      ),
    ).toEqual(['requests_shed_total', 'foo_total', 'bar'])
  })
})

describe('the shipped Grafana dashboard', () => {
  it('is a dashboard: unique panel ids, a uid, every panel within the 24-column grid with a query', () => {
    expect(dashboard.uid).toBe('heapguard')
    const ids = dashboard.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const panel of panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24)
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      for (const target of panel.targets!) expect(target.expr.trim(), panel.title).not.toBe('')
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'prefix', 'job', 'instance'])
  })

  it('names only metrics heapguard publishes', () => {
    for (const { panel, expr } of dashboardExpressions) {
      expect(expr, panel).toContain('${prefix}') // so the prefix variable reaches every name
      for (const name of metricNames(asPromql(expr))) expect(published, `${panel}: ${name}`).toContain(name)
    }
  })

  it('shows pressure ratio and level, per-source usage, caches, shedding, reservations, the trend and what grows', () => {
    const shown = new Set(dashboardExpressions.flatMap(({ expr }) => metricNames(asPromql(expr))))
    for (const name of [
      'memory_pressure_ratio',
      'memory_pressure_level',
      'memory_pressure_mode',
      'memory_usage_bytes',
      'memory_limit_bytes',
      'cache_size_bytes',
      'cache_entries',
      'cache_capacity',
      'requests_shed_total',
      'memory_reserved_bytes',
      'memory_heap_floor_bytes',
      'memory_seconds_to_limit',
      'memory_leak_held_bytes',
      'memory_unmanaged_bytes',
      'memory_growth_bytes_per_second',
    ]) {
      expect(shown, name).toContain(name)
    }
  })
})

describe('promtool', () => {
  const promtool = process.env.HEAPGUARD_PROMTOOL || '/usr/bin/promtool'
  const req = requirement(
    'promtool',
    isExecutable(promtool),
    `apt-get install -y prometheus (Debian's package provides promtool), or set HEAPGUARD_PROMTOOL; ${promtool} was not found`,
  )
  const run = (...args: string[]) => execFileSync(promtool, args, { encoding: 'utf8', stdio: 'pipe' })

  it.skipIf(!req.available)('checks the rules file', () => {
    expect(run('check', 'rules', RULES)).toMatch(/SUCCESS: \d+ rules found/)
  })

  it.skipIf(!req.available)('passes the rules unit tests (test/observe/prometheus-rules.test.yml)', () => {
    expect(run('test', 'rules', RULE_TESTS)).toContain('SUCCESS')
  })

  it.skipIf(!req.available)(
    'the prefix command of docs/observation.md gives valid rules naming prefixed metrics',
    () => {
      const docs = readFileSync(join(root, 'docs', 'observation.md'), 'utf8')
      const command = /sed -E 's\/(.+?)\/myapp_\\1\/g'/.exec(docs)
      expect(command, 'the sed command in docs/observation.md').not.toBeNull()
      // The same substitution in JavaScript (\b and the alternation mean the same in both).
      const prefixed = readFileSync(RULES, 'utf8').replace(new RegExp(command![1]!, 'g'), 'myapp_$1')
      for (const { alert, expr } of alertRules(prefixed)) {
        for (const name of metricNames(expr)) {
          if (PROMETHEUS_SERIES.includes(name)) continue
          expect(name.startsWith('myapp_'), `${alert}: ${name}`).toBe(true)
          expect(published, `${alert}: ${name}`).toContain(name.slice('myapp_'.length))
        }
      }
      const dir = mkdtempSync(join(tmpdir(), 'heapguard-rules-'))
      try {
        writeFileSync(join(dir, 'rules.yml'), prefixed)
        expect(run('check', 'rules', join(dir, 'rules.yml'))).toMatch(/SUCCESS: \d+ rules found/)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  it.skipIf(!req.available)('parses every dashboard expression as PromQL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapguard-dashboard-'))
    try {
      const file = join(dir, 'dashboard-rules.yml')
      const rules = dashboardExpressions.map(
        ({ expr }, i) => `      - record: heapguard:dashboard_${i}\n        expr: ${JSON.stringify(asPromql(expr))}`,
      )
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`)
      expect(run('check', 'rules', file)).toContain(`SUCCESS: ${rules.length} rules found`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
