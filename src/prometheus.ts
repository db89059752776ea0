// SKELETON entry for heapguard/prometheus: filled by its issue.
export {}
