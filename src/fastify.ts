// SKELETON entry for heapguard/fastify: filled by its issue.
export {}
