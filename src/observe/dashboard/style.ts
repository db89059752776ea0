import { LEVELS, type Level } from '../../pressure/levels.js'
import { INK, LEVEL_COLORS } from './palette.js'

/** One rule per level, e.g. `.badge[data-level=warning] { background: var(--warning); }`. */
function perLevel(rule: (level: Level) => string): string {
  return LEVELS.map(rule).join('\n')
}

/**
 * The page's style sheet. It is inlined and allowed by its hash (see page.ts), so it is built once,
 * at load, from the shared level list and palette: a fifth level would get its colour everywhere.
 */
export const STYLE = `
:root { ${LEVELS.map((level) => `--${level}: ${LEVEL_COLORS[level]};`).join(' ')}
  --ink: ${INK}; --muted: #667085; --line: #e4e7ec; --bg: #f5f6f8; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 20px; padding: 14px 24px; background: var(--card); border-bottom: 3px solid var(--line); }
${perLevel((l) => `body[data-level=${l}] header { border-bottom-color: var(--${l}); }`)}
h1 { font-size: 18px; margin: 0; letter-spacing: .02em; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 10px; }
.badge { display: inline-block; padding: 3px 12px; border-radius: 999px; color: #fff; font-weight: 600; background: var(--muted); }
${perLevel((l) => `.badge[data-level=${l}] { background: var(--${l}); }`)}
.big { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.why { flex-basis: 100%; margin: 0; font-size: 13px; color: var(--muted); }
.why:empty { display: none; }
td.why { white-space: normal; color: var(--muted); }
.tag { font-size: 12px; padding: 2px 8px; border-radius: 4px; background: #fff4e6; color: #a34700; border: 1px solid #ffd8a8; }
#conn { margin-left: auto; font-size: 12px; color: var(--muted); }
#conn::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: #adb5bd; }
#conn[data-state=live]::before { background: var(--normal); }
#conn[data-state=reconnecting]::before { background: var(--warning); }
#conn[data-state=closed]::before { background: var(--emergency); }
main { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 16px; padding: 16px 24px 32px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; overflow-x: auto; }
.wide { grid-column: 1 / -1; }
.half { grid-column: span 3; }
.third { grid-column: span 2; }
.two-thirds { grid-column: span 4; }
@media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); } .card { grid-column: 1 / -1; } }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 12px; font-weight: 600; color: var(--muted); }
td.num, th.num { text-align: right; }
tr:last-child td { border-bottom: 0; }
.lvl { font-weight: 600; }
${perLevel((l) => `.lvl[data-level=${l}] { color: var(--${l}); }`)}
.on { color: var(--normal); font-weight: 600; }
.off { color: var(--emergency); font-weight: 600; }
.bar { display: inline-block; vertical-align: middle; width: 80px; height: 6px; background: var(--line); border-radius: 3px; margin-left: 8px; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--muted); }
dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; }
svg { width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
#errors { color: var(--emergency); }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; margin: 0 0 10px; }
button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--ink); cursor: pointer; }
button:disabled { cursor: default; color: var(--muted); }
.held { color: var(--emergency); font-weight: 600; }
#leaks-sites td.where { white-space: normal; word-break: break-all; }
.empty { color: var(--muted); font-style: italic; }
`
