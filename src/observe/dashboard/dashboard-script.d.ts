/**
 * The dashboard page's script: browser/main.ts bundled into one IIFE at build time (and when the
 * tests load the source) by scripts/dashboard-script.mjs.
 */
declare module 'heapguard:dashboard-script' {
  const script: string
  export default script
}
