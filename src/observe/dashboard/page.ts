import { createHash } from 'node:crypto'

/**
 * The dashboard: one self-contained page, no framework, nothing fetched from elsewhere. The
 * script builds every node with textContent/setAttribute (never innerHTML), so names coming
 * from the application (caches, flags, tasks, sources) cannot inject markup. The server puts
 * only two values into the HTML, both escaped: the title and the token (which the requester
 * already holds, and which the page needs because EventSource cannot send headers).
 */

const STYLE = `
:root { --normal: #2b8a3e; --warning: #c99700; --critical: #e8590c; --emergency: #c2255c;
  --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f5f6f8; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 20px; padding: 14px 24px; background: var(--card); border-bottom: 3px solid var(--line); }
body[data-level=normal] header { border-bottom-color: var(--normal); }
body[data-level=warning] header { border-bottom-color: var(--warning); }
body[data-level=critical] header { border-bottom-color: var(--critical); }
body[data-level=emergency] header { border-bottom-color: var(--emergency); }
h1 { font-size: 18px; margin: 0; letter-spacing: .02em; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 10px; }
.badge { display: inline-block; padding: 3px 12px; border-radius: 999px; color: #fff; font-weight: 600; background: var(--muted); }
.badge[data-level=normal] { background: var(--normal); }
.badge[data-level=warning] { background: var(--warning); }
.badge[data-level=critical] { background: var(--critical); }
.badge[data-level=emergency] { background: var(--emergency); }
.big { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
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
.lvl[data-level=normal] { color: var(--normal); }
.lvl[data-level=warning] { color: var(--warning); }
.lvl[data-level=critical] { color: var(--critical); }
.lvl[data-level=emergency] { color: var(--emergency); }
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
.empty { color: var(--muted); font-style: italic; }
`

const SCRIPT = `
(function () {
  'use strict';
  var LEVELS = ['normal', 'warning', 'critical', 'emergency'];
  var COLORS = { normal: '#2b8a3e', warning: '#c99700', critical: '#e8590c', emergency: '#c2255c' };
  var PRIORITIES = ['critical', 'high', 'normal', 'low'];
  var KEEP_MS = 5 * 60 * 1000, MAX_POINTS = 6000;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var W = 960, H = 300, X0 = 44, X1 = 860, Y0 = 10, Y1 = 246, S0 = 254, S1 = 266;
  var body = document.body;
  var token = body.getAttribute('data-token') || '';
  var points = [];
  var state = null;
  var source = null;

  function byId(id) { return document.getElementById(id); }
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function bytes(n) {
    if (n === null || n === undefined || !isFinite(n)) return '\\u2014';
    var a = Math.abs(n);
    if (a >= 1073741824) return (n / 1073741824).toFixed(2) + ' GiB';
    if (a >= 1048576) return (n / 1048576).toFixed(1) + ' MiB';
    if (a >= 1024) return (n / 1024).toFixed(1) + ' KiB';
    return Math.round(n) + ' B';
  }
  function pct(r) { return isFinite(r) ? (r * 100).toFixed(1) + ' %' : '\\u2014'; }
  function duration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '\\u2014';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
    if (s < 3600) return (s / 60).toFixed(1) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  function clock(at) {
    // The controller's default clock is epoch-based; an injected clock may not be.
    return at > 1e12 ? new Date(at).toLocaleTimeString() : 't=' + (at / 1000).toFixed(1) + ' s';
  }
  function levelSpan(level) { return el('span', level, { 'class': 'lvl', 'data-level': level }); }
  function cell(content, cls) {
    var td = el('td', typeof content === 'object' && content !== null ? null : content);
    if (typeof content === 'object' && content !== null) td.appendChild(content);
    if (cls) td.className = cls;
    return td;
  }
  function row(cells, attrs) {
    var tr = el('tr', null, attrs);
    cells.forEach(function (c) { tr.appendChild(c); });
    return tr;
  }
  function fillBody(id, rows, columns, emptyText) {
    var tbody = clear(byId(id));
    if (!rows || rows.length === 0) {
      tbody.appendChild(row([el('td', rows ? emptyText : 'not available', { colspan: String(columns), 'class': 'empty' })]));
      return;
    }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function bar(ratio, color) {
    var outer = el('span', null, { 'class': 'bar' });
    var inner = el('span');
    inner.style.width = Math.max(0, Math.min(1, ratio)) * 100 + '%';
    if (color) inner.style.background = color;
    outer.appendChild(inner);
    return outer;
  }
  function levelOf(ratio) {
    var t = state.thresholds;
    return ratio >= t.emergency ? 'emergency' : ratio >= t.critical ? 'critical' : ratio >= t.warning ? 'warning' : 'normal';
  }

  function addPoints(list) {
    var last = points.length ? points[points.length - 1][0] : -Infinity;
    for (var i = 0; i < list.length; i++) if (list[i][0] >= last) { points.push(list[i]); last = list[i][0]; }
    var newest = points.length ? points[points.length - 1][0] : 0;
    var cut = 0;
    while (cut < points.length && newest - points[cut][0] > KEEP_MS) cut++;
    if (points.length - cut > MAX_POINTS) cut = points.length - MAX_POINTS;
    if (cut > 0) points.splice(0, cut);
  }

  function renderHeader() {
    var badge = byId('level');
    badge.textContent = state.level;
    badge.setAttribute('data-level', state.level);
    body.setAttribute('data-level', state.level);
    byId('ratio').textContent = pct(state.ratio);
    var forced = byId('forced');
    forced.hidden = state.forced === null;
    forced.textContent = state.forced === null ? '' : 'forced by operator (measured: ' + state.measuredLevel + ')';
    document.title = state.level + ' \\u00b7 ' + body.getAttribute('data-title');
    // The tab's icon carries the level, so a background tab still shows it.
    byId('favicon').setAttribute('href', 'data:image/svg+xml,' + encodeURIComponent(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="' + COLORS[state.level] + '"/></svg>'));
  }

  function renderChart() {
    var chart = clear(byId('chart'));
    var t = state.thresholds;
    var newest = Math.max(state.at, points.length ? points[points.length - 1][0] : 0);
    var oldest = points.length ? points[0][0] : newest;
    var span = Math.max(newest - oldest, 30000);
    var start = newest - span;
    var top = 1;
    points.forEach(function (p) { if (p[1] > top) top = Math.min(p[1], 2); });
    function x(at) { return X0 + ((at - start) / span) * (X1 - X0); }
    function y(r) { return Y1 - (Math.min(r, top) / top) * (Y1 - Y0); }
    var bounds = [0, t.warning, t.critical, t.emergency, top];
    LEVELS.forEach(function (level, i) {
      var hi = y(bounds[i + 1]), lo = y(bounds[i]);
      chart.appendChild(sv('rect', { 'class': 'band', 'data-level': level, x: X0, y: hi, width: X1 - X0, height: Math.max(0, lo - hi), fill: COLORS[level], 'fill-opacity': 0.08 }));
    });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (r) {
      if (r > top) return;
      chart.appendChild(sv('text', { x: X0 - 6, y: y(r) + 4, 'text-anchor': 'end' }, Math.round(r * 100) + '%'));
    });
    ['warning', 'critical', 'emergency'].forEach(function (level) {
      var yy = y(t[level]);
      chart.appendChild(sv('line', { 'class': 'threshold', 'data-level': level, x1: X0, x2: X1, y1: yy, y2: yy, stroke: COLORS[level], 'stroke-dasharray': '5 4', 'stroke-width': 1.2 }));
      chart.appendChild(sv('text', { x: X1 + 6, y: yy + 4, fill: COLORS[level] }, level + ' ' + Math.round(t[level] * 100) + '%'));
    });
    if (state.level !== 'normal' && state.forced === null) {
      // The exit line: the ratio must stay below it for recoveryMs before the level steps down.
      var exit = y(t[state.level] - state.hysteresis);
      chart.appendChild(sv('line', { 'class': 'exit', x1: X0, x2: X1, y1: exit, y2: exit, stroke: COLORS[state.level], 'stroke-dasharray': '1 3', 'stroke-width': 1 }));
      chart.appendChild(sv('text', { x: X1 + 6, y: exit + 4, fill: COLORS[state.level] }, 'exit ' + Math.round((t[state.level] - state.hysteresis) * 100) + '%'));
    }
    chart.appendChild(sv('rect', { x: X0, y: Y0, width: X1 - X0, height: Y1 - Y0, fill: 'none', stroke: '#d0d5dd' }));
    if (points.length === 0) {
      chart.appendChild(sv('text', { x: (X0 + X1) / 2, y: (Y0 + Y1) / 2, 'text-anchor': 'middle' }, 'waiting for samples\\u2026'));
    } else {
      // More points than pixels: keep each column's highest ratio, so peaks are never hidden.
      var cols = {}, order = [];
      points.forEach(function (p) {
        var c = Math.round(x(p[0]));
        if (!(c in cols)) { cols[c] = p; order.push(c); } else if (p[1] > cols[c][1]) cols[c] = p;
      });
      var d = order.map(function (c, i) { return (i ? 'L' : 'M') + c + ' ' + y(cols[c][1]).toFixed(1); }).join('');
      chart.appendChild(sv('path', { id: 'ratio-line', d: d, fill: 'none', stroke: '#1d2330', 'stroke-width': 1.6, 'stroke-linejoin': 'round' }));
      var last = points[points.length - 1];
      chart.appendChild(sv('circle', { cx: x(last[0]), cy: y(last[1]), r: 4, fill: COLORS[state.level] }));
      // The effective level over time, as a strip under the plot (a forced level shows here).
      var from = 0;
      for (var i = 1; i <= points.length; i++) {
        if (i < points.length && points[i][2] === points[from][2]) continue;
        var x1 = i < points.length ? x(points[i][0]) : X1;
        var lv = LEVELS[points[from][2]];
        if (i === points.length) lv = state.level;
        chart.appendChild(sv('rect', { 'class': 'seg', 'data-level': lv, x: x(points[from][0]), y: S0, width: Math.max(1, x1 - x(points[from][0])), height: S1 - S0, fill: COLORS[lv] }));
        from = i;
      }
    }
    chart.appendChild(sv('text', { x: X0 - 6, y: S1 - 2, 'text-anchor': 'end' }, 'level'));
    var steps = [5, 10, 15, 30, 60, 120, 300, 600];
    var step = steps.filter(function (s) { return span / 1000 / s <= 6; })[0] || 600;
    for (var s = 0; s * 1000 <= span; s += step) {
      var tx = x(newest - s * 1000);
      chart.appendChild(sv('text', { x: tx, y: H - 12, 'text-anchor': s === 0 ? 'end' : 'middle' }, s === 0 ? 'now' : '\\u2212' + s + ' s'));
    }
  }

  function renderSources() {
    fillBody('sources-body', state.sources.map(function (s) {
      return row([
        cell(s.name),
        cell(bytes(s.used), 'num'),
        cell(bytes(s.limit), 'num'),
        cell(pct(s.ratio), 'num'),
        cell(bar(s.ratio / 1, COLORS[levelOf(s.ratio)])),
      ], { 'data-source': s.name });
    }), 5, 'no sample yet');
  }

  function renderTrend() {
    var tr = state.trend;
    var dl = clear(byId('trend'));
    function item(name, value) { dl.appendChild(el('dt', name)); dl.appendChild(el('dd', value)); }
    item('heap after last major GC', bytes(tr.floor));
    item('floor growth', tr.growthBytesPerSec === null ? '\\u2014' : bytes(tr.growthBytesPerSec) + '/s');
    item('time to limit', tr.msToLimit === null ? (tr.growthBytesPerSec === null ? 'not enough GCs yet' : 'not rising') : duration(tr.msToLimit));
    item('points', String(tr.points));
    var counts = state.transitionCounts;
    item('level changes to', LEVELS.slice(1).concat('normal').map(function (l) { return l + ' ' + counts[l]; }).join(' \\u00b7 '));
  }

  function renderCaches() {
    fillBody('caches-body', state.caches && state.caches.map(function (c) {
      var full = c.capacity > 0 ? c.entries / c.capacity : 1;
      return row([
        cell(c.name, 'name'),
        cell(c.priority, 'priority'),
        cell(String(c.entries), 'num entries'),
        cell(String(c.capacity), 'num capacity'),
        cell(bar(full)),
        cell(bytes(c.bytes), 'num bytes'),
        cell('\\u00d7' + c.multiplier, 'num multiplier'),
        cell(pct(c.hitRatio), 'num hit-ratio'),
        cell(String(c.evictions), 'num evictions'),
      ], { 'data-cache': c.name });
    }), 9, 'no managed cache');
  }

  function renderShed() {
    var dl = clear(byId('shed'));
    var s = state.shed;
    if (!s) { dl.appendChild(el('dt', 'not available')); return; }
    function item(name, value) { dl.appendChild(el('dt', name)); dl.appendChild(el('dd', value)); }
    item('in flight', String(s.inFlight));
    item('queued', String(s.queued));
    item('admitted', String(s.admitted));
    item('concurrency limit', s.limit === null ? 'none (by level only)' : String(s.limit));
    PRIORITIES.forEach(function (p) { item('refused ' + p, String(s.refused[p] || 0)); });
  }

  function renderFeatures() {
    fillBody('features-body', state.features && state.features.map(function (f) {
      return row([
        cell(f.name),
        cell(f.enabled ? 'on' : 'off', f.enabled ? 'on' : 'off'),
        cell(levelSpan(f.offAt)),
        cell(f.override === null ? '\\u2014' : 'forced ' + f.override),
      ], { 'data-feature': f.name });
    }), 4, 'no feature flag');
  }

  function renderTasks() {
    fillBody('tasks-body', state.tasks && state.tasks.map(function (t) {
      var status = t.stopped ? 'stopped' : t.paused ? 'paused' : t.running ? 'running' : 'scheduled';
      return row([
        cell(t.name),
        cell(status, t.paused || t.stopped ? 'off' : 'on'),
        cell(duration(t.intervalMs), 'num'),
        cell(levelSpan(t.pauseAt)),
        cell(String(t.runs), 'num'),
        cell(String(t.failures), 'num'),
        cell(t.lastRunAt === null ? '\\u2014' : clock(t.lastRunAt)),
      ], { 'data-task': t.name });
    }), 7, 'no task');
  }

  function renderTransitions() {
    fillBody('transitions-body', state.transitions.slice().reverse().map(function (c) {
      var change = el('span');
      change.appendChild(levelSpan(c.from));
      change.appendChild(document.createTextNode(' \\u2192 '));
      change.appendChild(levelSpan(c.to));
      return row([cell(clock(c.at)), cell(change), cell(pct(c.ratio), 'num'), cell(c.forced ? 'forced' : '')]);
    }), 4, 'no level change yet');
  }

  function renderErrors() {
    var box = clear(byId('errors'));
    box.hidden = state.errors.length === 0;
    state.errors.forEach(function (e) { box.appendChild(el('div', e)); });
  }

  function render() {
    renderHeader();
    renderChart();
    renderSources();
    renderTrend();
    renderCaches();
    renderShed();
    renderFeatures();
    renderTasks();
    renderTransitions();
    renderErrors();
  }

  function setConn(text) {
    var c = byId('conn');
    c.setAttribute('data-state', text);
    c.textContent = text;
  }

  function onMessage(reset) {
    return function (event) {
      var message = JSON.parse(event.data);
      if (reset) points = [];
      addPoints(message.points);
      state = message.state;
      render();
      if (state.closed) { source.close(); setConn('closed'); } else setConn('live');
    };
  }

  function connect() {
    source = new EventSource('?stream=1&token=' + encodeURIComponent(token));
    source.addEventListener('snapshot', onMessage(true));
    source.addEventListener('update', onMessage(false));
    source.addEventListener('error', function () { setConn(source.readyState === 2 ? 'closed' : 'reconnecting'); });
  }

  connect();
})();
`

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`
}

/**
 * Only this page's own script and style may run (by hash), it may connect only back to its own
 * origin, and no other page may frame it.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  // data: only for the favicon, which shows the level.
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}

export function renderPage({ title, token }: { title: string; token: string }): string {
  const t = escapeHtml(title)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${t}</title>
<link id="favicon" rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-title="${t}" data-token="${escapeHtml(token)}">
<header>
  <h1>${t}</h1>
  <span id="level" class="badge" data-level="">connecting</span>
  <span class="muted">pressure</span>
  <span class="big" id="ratio" title="pressure ratio: the highest used/limit over the sources">\u2014</span>
  <span id="forced" class="tag" hidden></span>
  <span id="conn" data-state="connecting">connecting</span>
</header>
<main>
  <section class="card wide">
    <h2>Pressure ratio over time</h2>
    <svg id="chart" viewBox="0 0 960 300" role="img" aria-label="pressure ratio over time with level thresholds"></svg>
  </section>
  <section class="card half">
    <h2>Sources</h2>
    <table id="sources"><thead><tr><th>source</th><th class="num">used</th><th class="num">limit</th><th class="num">ratio</th><th></th></tr></thead><tbody id="sources-body"></tbody></table>
  </section>
  <section class="card half">
    <h2>Trend (leak signal)</h2>
    <dl id="trend"></dl>
  </section>
  <section class="card wide">
    <h2>Caches</h2>
    <table id="caches"><thead><tr><th>cache</th><th>priority</th><th class="num">entries</th><th class="num">capacity</th><th></th><th class="num">bytes</th><th class="num">multiplier</th><th class="num">hit ratio</th><th class="num">evictions</th></tr></thead><tbody id="caches-body"></tbody></table>
  </section>
  <section class="card third">
    <h2>Feature flags</h2>
    <table id="features"><thead><tr><th>flag</th><th>state</th><th>off at</th><th>override</th></tr></thead><tbody id="features-body"></tbody></table>
  </section>
  <section class="card two-thirds">
    <h2>Tasks</h2>
    <table id="tasks"><thead><tr><th>task</th><th>state</th><th class="num">every</th><th>pause at</th><th class="num">runs</th><th class="num">failures</th><th>last run</th></tr></thead><tbody id="tasks-body"></tbody></table>
  </section>
  <section class="card third">
    <h2>Load shedding</h2>
    <dl id="shed"></dl>
  </section>
  <section class="card two-thirds">
    <h2>Recent level changes</h2>
    <table id="transitions"><thead><tr><th>time</th><th>change</th><th class="num">ratio</th><th></th></tr></thead><tbody id="transitions-body"></tbody></table>
  </section>
  <section class="card wide" id="errors" hidden></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`
}
