// Types for dashboard-script.mjs, which tsup.config.ts and vitest.config.ts import.
import type { Plugin as EsbuildPlugin } from 'esbuild'
import type { Plugin as VitePlugin } from 'vite'

export declare const DASHBOARD_SCRIPT_ID: 'heapguard:dashboard-script'
export declare function bundleDashboardScript(): Promise<{ code: string; files: string[] }>
export declare function dashboardScriptEsbuild(): EsbuildPlugin
export declare function dashboardScriptVite(): VitePlugin
