// The value shapes the size estimator is measured on, and the measurement: N distinct copies of a
// shape are allocated between two forced full GCs, and the growth of `heapUsed + arrayBuffers`
// (Buffers keep their bytes outside the heap) divided by N is the real size of one copy. Needs
// `node --expose-gc`. Used by bench/estimate-accuracy.bench.mjs and by the test that pins the
// accuracy target (test/fixtures/caches-estimate-accuracy.mjs).

/** Fresh flat strings, as a database driver or `JSON.parse` hands them out (not cons strings). */
const latin1 = (text) => Buffer.from(text, 'latin1').toString('latin1')
const utf16 = (text) => Buffer.from(text, 'utf16le').toString('utf16le')
const pad = (i, length) => `${i}:`.padEnd(length, 'abcdefghijklmnopqrstuvwxyz')
// Cyrillic, so every character needs two bytes.
const padCyrillic = (i, length) => `${i}:`.padEnd(length, 'абвгдежзийклмнопрстуфхцчшщ')

const userJson = (i) =>
  `{"id":${i},"name":"User ${i}","email":"user${i}@example.com","active":${i % 2 === 0},"score":${i + 0.25}}`

/** One row of a Prisma `findMany({ include: { profile: true, posts: true } })` result. */
const prismaRowJson = (i) =>
  `{"id":${i},"email":"user${i}@example.com","name":"User ${i}","role":"USER",` +
  `"createdAt":"2024-03-${String((i % 28) + 1).padStart(2, '0')}T10:00:00.000Z","updatedAt":"2024-04-01T10:00:00.000Z",` +
  `"profile":{"id":${i},"bio":"Bio of user ${i}, who writes about databases.","avatarUrl":"https://cdn.example.com/a/${i}.png","userId":${i}},` +
  `"posts":[${[0, 1, 2]
    .map(
      (p) =>
        `{"id":${i * 3 + p},"title":"Post ${p} by user ${i}","published":${p !== 2},"authorId":${i},"createdAt":"2024-05-0${p + 1}T08:30:00.000Z"}`,
    )
    .join(',')}]}`
const DATE_KEYS = new Set(['createdAt', 'updatedAt'])
// Prisma turns DateTime columns into Date objects.
const reviveDates = (key, value) => (DATE_KEYS.has(key) ? new Date(value) : value)

/**
 * `target`: the shapes whose estimate must be within ±25 % of the real size (strings, Buffers,
 * plain objects); the others are reported. `count` copies are allocated per measurement.
 */
export const SHAPES = [
  { name: 'one-byte string, 16 chars', target: true, count: 200_000, make: (i) => latin1(pad(i, 16)) },
  { name: 'one-byte string, 1 KB', target: true, count: 20_000, make: (i) => latin1(pad(i, 1024)) },
  { name: 'one-byte string, 10 KB', target: true, count: 2_000, make: (i) => latin1(pad(i, 10_240)) },
  { name: 'two-byte string, 16 chars', target: true, count: 200_000, make: (i) => utf16(padCyrillic(i, 16)) },
  { name: 'two-byte string, 1 KB', target: true, count: 20_000, make: (i) => utf16(padCyrillic(i, 1024)) },
  { name: 'two-byte string, 10 KB', target: true, count: 2_000, make: (i) => utf16(padCyrillic(i, 10_240)) },
  { name: 'Buffer, 100 B (Buffer.from, pooled)', target: true, count: 100_000, make: (i) => Buffer.from(pad(i, 100)) },
  { name: 'Buffer, 1 KB (Buffer.alloc)', target: true, count: 20_000, make: () => Buffer.alloc(1024) },
  { name: 'Buffer, 64 KB (Buffer.alloc)', target: true, count: 500, make: () => Buffer.alloc(65_536) },
  { name: 'plain object: a user row (JSON.parse)', target: true, count: 100_000, make: (i) => JSON.parse(userJson(i)) },
  {
    name: 'plain object: { id, name, tags: [2] } literal',
    target: true,
    count: 100_000,
    make: (i) => ({ id: i, name: latin1(`Ada Lovelace ${i}`), tags: [latin1(`admin${i}`), latin1(`dev${i}`)] }),
  },
  {
    name: 'plain object: 40 headers (Object.fromEntries)',
    target: true,
    count: 5_000,
    make: (i) => Object.fromEntries(Array.from({ length: 40 }, (_, h) => [`x-header-${h}`, latin1(`value ${h} ${i}`)])),
  },
  {
    name: 'array of 100 user rows (JSON.parse)',
    target: false,
    count: 1_000,
    make: (i) => JSON.parse(`[${Array.from({ length: 100 }, (_, r) => userJson(i * 100 + r)).join(',')}]`),
  },
  {
    name: 'Map of 100 string keys → numbers',
    target: false,
    count: 2_000,
    make: (i) => new Map(Array.from({ length: 100 }, (_, k) => [latin1(`key:${i}:${k}`), k])),
  },
  {
    name: 'Map of 100 ids → user rows',
    target: false,
    count: 1_000,
    make: (i) => new Map(Array.from({ length: 100 }, (_, k) => [i * 100 + k, JSON.parse(userJson(i * 100 + k))])),
  },
  {
    name: 'Prisma findMany: 20 users + profile + 3 posts, Dates',
    target: false,
    count: 500,
    make: (i) =>
      JSON.parse(`[${Array.from({ length: 20 }, (_, r) => prismaRowJson(i * 20 + r)).join(',')}]`, reviveDates),
  },
  // Known limits, reported so that they are seen: layouts the estimator does not model.
  {
    name: 'limit: object with 20 keys set one by one (dictionary)',
    target: false,
    count: 5_000,
    make: (i) => {
      const object = {}
      for (let k = 0; k < 20; k++) object[`key${k}`] = i + k
      return object
    },
  },
  {
    name: 'limit: string built by + (a cons string), 100 chars',
    target: false,
    count: 50_000,
    make: (i) => latin1(pad(i, 50)) + latin1(pad(i + 1, 50)),
  },
  {
    name: 'limit: 100-char slice of a shared 10 KB string',
    target: false,
    count: 50_000,
    make: (i) => SHARED_TEXT.slice(i % 1000, (i % 1000) + 100),
  },
]

/** The parent of the sliced strings above (allocated once, before any measurement). */
const SHARED_TEXT = latin1(pad(0, 10_240))

function settle() {
  for (let i = 0; i < 3; i++) globalThis.gc()
}

function footprint() {
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** One measurement: the growth per copy of allocating `shape.count` copies, and the copies. */
function measureOnce(shape) {
  // The holder is allocated before the first reading, so its slots are not counted.
  const copies = new Array(shape.count).fill(null)
  settle()
  const before = footprint()
  for (let i = 0; i < shape.count; i++) copies[i] = shape.make(i)
  settle()
  return { real: (footprint() - before) / shape.count, copies }
}

/**
 * Real bytes per copy of `shape` (the median of `rounds` measurements), and the mean of each
 * `estimates[name](copy)` over the copies of the last round.
 */
export function measureShape(shape, estimates, rounds = 3) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc')
  let last = measureOnce(shape)
  const reals = [last.real]
  for (let round = 1; round < rounds; round++) {
    last.copies.fill(null) // the previous round's copies are freed before this round measures
    last = measureOnce(shape)
    reals.push(last.real)
  }
  const estimated = {}
  for (const [name, estimate] of Object.entries(estimates)) {
    let sum = 0
    for (const copy of last.copies) sum += estimate(copy)
    estimated[name] = sum / last.copies.length
  }
  return { real: median(reals), estimated }
}

/** The estimate's error against the real size, in percent (positive: the estimate is too high). */
export const errorPercent = (estimated, real) => ((estimated - real) / real) * 100
