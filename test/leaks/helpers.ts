import type { CallFrame, HeapProfile, HeapProfileNode } from '../../src/index.js'

/** A frame: function, script URL ('' for a builtin), 1-based line. */
export type Frame = readonly [fn: string, url: string, line?: number]

export const APP = 'file:///srv/app/server.js'
export const ORDERS = 'file:///srv/app/orders.js'
export const PKG = 'file:///srv/app/node_modules/@acme/db/lib/client.js'

/** Live bytes at a call path, outermost frame first, allocating frame last. */
export interface Allocation {
  stack: readonly Frame[]
  bytes: number
}

function callFrame([fn, url, line = 1]: Frame): CallFrame {
  return {
    functionName: fn,
    scriptId: url === '' ? '0' : '42',
    url,
    lineNumber: url === '' ? -1 : line - 1,
    columnNumber: 0,
  }
}

const sameFrame = (a: CallFrame, b: CallFrame) =>
  a.functionName === b.functionName && a.url === b.url && a.lineNumber === b.lineNumber

/** The bytes one synthetic sample stands for (V8's are about the sampling interval each). */
export const SAMPLE_BYTES = 100

/**
 * A synthetic sampling heap profile, as `HeapProfiler.getSamplingProfile` returns it: one node per
 * call path (shared prefixes merged), `selfSize` the bytes allocated there, split into samples of
 * about `SAMPLE_BYTES` each.
 */
export function profileOf(allocations: readonly Allocation[]): HeapProfile {
  let nextId = 1
  const head: HeapProfileNode = {
    callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 },
    selfSize: 0,
    id: nextId++,
    children: [],
  }
  for (const { stack, bytes } of allocations) {
    let node = head
    for (const frame of stack) {
      const cf = callFrame(frame)
      let child = node.children.find((c) => sameFrame(c.callFrame, cf))
      if (child === undefined) {
        child = { callFrame: cf, selfSize: 0, id: nextId++, children: [] }
        node.children.push(child)
      }
      node = child
    }
    node.selfSize += bytes
  }
  const samples: HeapProfile['samples'] = []
  let ordinal = 1
  const visit = (node: HeapProfileNode) => {
    const count = node.selfSize > 0 ? Math.max(1, Math.round(node.selfSize / SAMPLE_BYTES)) : 0
    for (let i = 0; i < count; i++) samples.push({ size: node.selfSize / count, nodeId: node.id, ordinal: ordinal++ })
    node.children.forEach(visit)
  }
  visit(head)
  return { head, samples }
}

/** A series of profiles one second apart: `bytes[k]` is each allocation's bytes at checkpoint k. */
export function series(
  sites: readonly { stack: readonly Frame[]; bytes: readonly number[] }[],
  heap?: readonly number[],
): { at: number; profile: HeapProfile; heapBytes?: number }[] {
  const count = sites[0]!.bytes.length
  return Array.from({ length: count }, (_, k) => ({
    at: 1000 * (k + 1),
    profile: profileOf(sites.map((s) => ({ stack: s.stack, bytes: s.bytes[k]! }))),
    ...(heap === undefined ? {} : { heapBytes: heap[k]! }),
  }))
}
