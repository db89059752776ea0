import { createHash } from 'node:crypto'
import SCRIPT from 'heapguard:dashboard-script'
import { STYLE } from './style.js'

/**
 * The dashboard: one self-contained page, no framework, nothing fetched from elsewhere. Its
 * script (browser/, bundled and inlined at build time) builds every node with
 * textContent/setAttribute (never innerHTML), so names coming from the application (caches,
 * flags, tasks, sources) cannot inject markup. The server puts only two values into the HTML,
 * both escaped: the title and the token (which the requester already holds, and which the page
 * needs because EventSource cannot send headers).
 */

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
function escapeHtml(text: string): string {
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
  <span id="mode" class="tag" hidden title="heapguard measures and logs what it would do, but changes nothing">observe mode: nothing enforced</span>
  <span id="conn" data-state="connecting">connecting</span>
  <p id="why" class="why" title="why the level is what it is: the reason of the last change, and the floors that hold"></p>
</header>
<main>
  <section class="card wide">
    <h2>Pressure ratio over time</h2>
    <svg id="chart" viewBox="0 0 960 300" role="img" aria-label="pressure ratio over time with level thresholds"></svg>
  </section>
  <section class="card half">
    <h2>Sources</h2>
    <table id="sources"><thead><tr><th>source</th><th class="num">used</th><th class="num" title="announced by reservations, not yet allocated">reserved</th><th class="num">limit</th><th class="num">ratio</th><th></th></tr></thead><tbody id="sources-body"></tbody></table>
  </section>
  <section class="card half">
    <h2>Trend (leak signal)</h2>
    <dl id="trend"></dl>
  </section>
  <section class="card wide" id="leaks">
    <h2>What grows <span class="muted" id="leaks-status"></span></h2>
    <p class="actions"><button id="leaks-capture" type="button">Capture a window</button> <a id="leaks-text" target="_blank" rel="noopener">report as text</a> <a id="leaks-download" download>download .heapprofile</a> <span class="muted" id="leaks-note"></span></p>
    <dl id="leaks-growth"></dl>
    <table id="leaks-sites"><thead><tr><th class="num">#</th><th class="num">grows</th><th class="num">share</th><th>function</th><th>where</th><th>package</th><th class="num">live</th></tr></thead><tbody id="leaks-body"></tbody></table>
  </section>
  <section class="card wide">
    <h2>Caches <span class="muted" id="cache-budget"></span></h2>
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
    <h2>Reservations</h2>
    <dl id="reservations"></dl>
  </section>
  <section class="card two-thirds">
    <h2>Recent level changes</h2>
    <table id="transitions"><thead><tr><th>time</th><th>change</th><th class="num">ratio</th><th>why</th></tr></thead><tbody id="transitions-body"></tbody></table>
  </section>
  <section class="card wide" id="database" hidden>
    <h2>Databases <span class="muted" id="database-clients"></span></h2>
    <table id="db-models"><thead><tr><th>model</th><th class="num">reads</th><th class="num" title="reads the cap cut short">capped</th><th class="num" title="reads refused before they ran: their reservation did not fit">refused</th><th class="num" title="heap bytes a row is estimated at">bytes a row</th></tr></thead><tbody id="db-models-body"></tbody></table>
    <table id="db-pools"><thead><tr><th>pool</th><th class="num">max</th><th class="num">open</th><th class="num">idle</th><th class="num">waiting</th></tr></thead><tbody id="db-pools-body"></tbody></table>
  </section>
  <section class="card wide" id="errors" hidden></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`
}
