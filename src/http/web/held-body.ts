/**
 * Whether a body stream is a byte stream. The Fetch standard makes every body it builds from
 * bytes (a string, `Response.json()`, a buffer, a Blob, form data) a byte stream, and a stream a
 * handler builds itself (`new ReadableStream({ pull })`) is not one unless it asks: so this tells
 * a body that exists in full when the Response is made from one that is produced while it is read.
 * Only a byte stream gives a BYOB reader; taking one and letting it go leaves the stream as it was.
 */
export function isByteStream(stream: ReadableStream): boolean {
  try {
    stream.getReader({ mode: 'byob' }).releaseLock()
    return true
  } catch {
    return false
  }
}

/**
 * The same answer with a body that calls `release` once it has been read to its end, failed, or
 * been cancelled (the client went away). It pulls only when the framework reads, so the handler's
 * stream keeps its own pace and backpressure.
 */
export function holdBody(response: Response, body: ReadableStream, release: () => void): Response {
  const reader = body.getReader() as ReadableStreamDefaultReader<unknown>
  const held = new ReadableStream<unknown>(
    {
      pull: (controller) =>
        reader.read().then(
          (chunk) => {
            if (chunk.done) {
              release()
              controller.close()
            } else {
              controller.enqueue(chunk.value)
            }
          },
          (error: unknown) => {
            release()
            controller.error(error)
          },
        ),
      cancel: (reason) => {
        release()
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
  return new Response(held as ReadableStream<Uint8Array>, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}
