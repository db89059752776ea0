// What an export holds while it runs: `mib` MiB of heap in 1 MiB arrays of doubles (V8 stores a
// double array as 8 bytes an element, on the heap), allocated in one turn of the event loop, as
// a findMany that loads its rows at once.

const MiB = 1024 * 1024
const DOUBLES_PER_MIB = MiB / 8

/** Allocates `mib` MiB on the heap and returns it (keep it referenced to hold it). */
export function allocatePayload(mib) {
  const chunks = []
  for (let c = 0; c < mib; c++) {
    const chunk = new Array(DOUBLES_PER_MIB)
    for (let i = 0; i < DOUBLES_PER_MIB; i++) chunk[i] = c + i / DOUBLES_PER_MIB
    chunks.push(chunk)
  }
  return chunks
}
