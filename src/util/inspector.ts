export type InspectorModule = typeof import('node:inspector')

let inspector: Promise<InspectorModule> | undefined

/**
 * `node:inspector`, loaded at its first use, never at import: a Node built without the inspector
 * (`--without-inspector`) must still load heapguard; only what needs it (a leak window, a live
 * check) fails there, and says so.
 */
export const loadInspector = (): Promise<InspectorModule> => (inspector ??= import('node:inspector'))
