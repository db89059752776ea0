// Types for postgres-cluster.mjs, which the benchmarks (plain JavaScript) share with the tests.
export type Cluster =
  { available: true; host: string; user: string; stop(): void } | { available: false; reason: string }
export declare const HOW_TO_ENABLE: string
export declare function findPostgresBin(): string | undefined
export declare function startCluster(): Cluster
