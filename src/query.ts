// SKELETON entry for heapguard/query: filled by its issue.
export {}
