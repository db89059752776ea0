import type { Level } from '../../pressure/levels.js'

/**
 * The colours both sides of the dashboard use: the server's style sheet (custom properties and
 * per-level selectors) and the page's script (SVG chart, favicon). Plain data, so the page's
 * bundle can import it.
 */
export const LEVEL_COLORS: Readonly<Record<Level, string>> = Object.freeze({
  normal: '#2b8a3e',
  warning: '#c99700',
  critical: '#e8590c',
  emergency: '#c2255c',
})

/** Text, and the chart's ratio line. */
export const INK = '#1d2330'
