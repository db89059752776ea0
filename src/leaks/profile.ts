/**
 * V8's sampling heap profile, as `HeapProfiler.getSamplingProfile` returns it and as Chrome
 * DevTools opens it (a `.heapprofile` file is this object as JSON). Only objects still alive are
 * in it: a sample leaves when its object is collected.
 */
export interface HeapProfile {
  head: HeapProfileNode
  samples: HeapProfileSample[]
}

/** One call path of the allocation tree; `selfSize` is the estimated live bytes allocated right there. */
export interface HeapProfileNode {
  callFrame: CallFrame
  /** Live bytes allocated by this frame itself (samples scaled by V8 to estimate every allocation). */
  selfSize: number
  id: number
  children: HeapProfileNode[]
}

/** A frame as V8 reports it: `lineNumber` and `columnNumber` are 0-based, and -1 when unknown. */
export interface CallFrame {
  functionName: string
  scriptId: string
  url: string
  lineNumber: number
  columnNumber: number
}

/** One sampled allocation still alive: its estimated bytes, its node, and its order of allocation. */
export interface HeapProfileSample {
  size: number
  nodeId: number
  ordinal: number
}

/**
 * Calls `visit` for every node with the frames from the root to it (root excluded), leaf last;
 * a node for which it returns false is not descended into.
 */
export function walkProfile(
  profile: HeapProfile,
  visit: (node: HeapProfileNode, path: readonly CallFrame[]) => boolean,
): void {
  const path: CallFrame[] = []
  // Iterative: a deep recursion (V8 keeps up to 128 frames) must not grow the JS stack with the tree.
  const stack: { node: HeapProfileNode; depth: number }[] = (profile.head.children ?? []).map((node) => ({
    node,
    depth: 0,
  }))
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!
    path.length = depth
    path.push(node.callFrame)
    if (!visit(node, path)) continue
    for (const child of node.children ?? []) stack.push({ node: child, depth: depth + 1 })
  }
}

/** A deep copy of the profile (plain data), with every frame passed through `mapFrame`. */
export function copyProfile(profile: HeapProfile, mapFrame: (frame: CallFrame) => CallFrame = (f) => f): HeapProfile {
  const copy = (node: HeapProfileNode): HeapProfileNode => ({
    callFrame: { ...mapFrame(node.callFrame) },
    selfSize: node.selfSize,
    id: node.id,
    children: node.children.map(copy),
  })
  return { head: copy(profile.head), samples: profile.samples.map((s) => ({ ...s })) }
}
