// SKELETON entry for heapguard/http: filled by its issue.
export {}
