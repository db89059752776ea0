import type { Level } from '../../pressure/levels.js'

/**
 * The dashboard's colours, one source for the server's CSS (custom properties and selectors) and
 * the page's script (SVG chart, favicon). Plain data: the page's bundle imports it.
 */
export const LEVEL_COLORS: Readonly<Record<Level, string>> = Object.freeze({
  normal: '#2b8a3e',
  warning: '#c99700',
  critical: '#e8590c',
  emergency: '#c2255c',
})

/** Text and the chart's ratio line. */
export const INK = '#1d2330'
/** Secondary text, and anything with no level yet. */
export const MUTED = '#667085'
