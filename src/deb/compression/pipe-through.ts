import type { Duplex } from 'node:stream';

/**
 * Feeds `source` through `transform` and yields the output, with backpressure both ways. An
 * error of the source wins over the error it causes in the transform: a .deb cut short inside
 * control.tar.gz is "truncated package", not "corrupt gzip". Leaving the loop early destroys
 * the transform and stops reading the source before returning.
 */
export async function* pipeThrough(source: AsyncIterable<Uint8Array>, transform: Duplex): AsyncGenerator<Buffer, void, undefined> {
  let sourceFailed = false;
  let sourceError: unknown;
  const pump = (async () => {
    try {
      for await (const chunk of source) {
        if (transform.destroyed) return;
        if (!transform.write(chunk)) await drainedOrClosed(transform);
      }
      if (!transform.destroyed) transform.end();
    } catch (error) {
      sourceFailed = true;
      sourceError = error;
      transform.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  try {
    for await (const chunk of transform) yield chunk as Buffer;
  } catch (error) {
    await pump;
    throw sourceFailed ? sourceError : error;
  } finally {
    if (!transform.destroyed) transform.destroy();
    await pump;
  }
  if (sourceFailed) throw sourceError;
}

/** Resolves once `stream` wants more writes ("drain") or is gone ("close"), at once if already destroyed. */
export function drainedOrClosed(stream: Duplex): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
