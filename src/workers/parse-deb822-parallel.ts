import { availableParallelism } from 'node:os';
import type { WorkerPool } from '../concurrency/worker-pool.js';
import type { WorkerPayload } from '../concurrency/worker-protocol.js';
import { type Deb822Options, parseDeb822Stream } from '../deb/deb822-parse.js';
import type { Paragraph } from '../deb/paragraph.js';
import { type ParagraphBatch, ParagraphBatchDecoder } from '../deb/paragraph-batch.js';
import { DEB822_PARSE_JOB, MESSAGE_BYTES } from './deb822-job.js';
import { sharedWorkerPool } from './shared-pool.js';

/**
 * Below this much text the worker does not pay: starting a thread costs 30-50 ms, about what
 * parsing 4 MiB costs in this thread (a full Packages index is 50 MB, a Sources or an
 * updates suite's Packages a few MB or less).
 */
export const WORKER_MIN_BYTES = 4 << 20;
/**
 * Whether a worker is used at all, by default. An xz index is decoded by the `xz` program, so
 * a worker pays only with a third core: measured on 2 cores (docs/architecture.md, "Worker
 * threads"), the worker's parse took no less wall time than this thread's and the worker's
 * heap added about 65 MB of peak RSS.
 */
const DEFAULT_MIN_BYTES = availableParallelism() >= 3 ? WORKER_MIN_BYTES : Infinity;

export interface ParallelParseOptions extends Deb822Options {
  /** Cancels the parse: the worker is terminated and the iteration throws the reason. */
  readonly signal?: AbortSignal;
  /** Bytes of input from which a worker parses; WORKER_MIN_BYTES with 3 cores or more, else never. */
  readonly workerMinBytes?: number;
  /** The pool to run in; the process's shared pool by default. */
  readonly pool?: WorkerPool;
}

/**
 * parseDeb822Stream, with the scanning moved to a worker thread when the input is large: the
 * decompressor's output is passed on in 1 MiB transferred buffers (two ahead at most) and the
 * paragraphs come back in batches (see ParagraphBatch), so the main thread only builds the
 * paragraph objects and never holds the input twice. The paragraphs, their order and the errors
 * (codes, messages, details) are exactly those of parseDeb822Stream.
 */
export async function* parseDeb822Parallel(
  input: AsyncIterable<Uint8Array>,
  options: ParallelParseOptions = {},
): AsyncGenerator<Paragraph> {
  const { signal, workerMinBytes = DEFAULT_MIN_BYTES, pool, ...parse } = options;
  signal?.throwIfAborted();
  if (!Number.isFinite(workerMinBytes)) {
    // Never in a worker: no reading ahead either.
    yield* parseDeb822Stream(input, parse);
    return;
  }
  const it = input[Symbol.asyncIterator]();
  // Read ahead until the input is known to be large, or has ended (or failed) small.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let end: { readonly error?: unknown } | undefined;
  let finished = false;
  try {
    while (headBytes < workerMinBytes) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await it.next();
      } catch (error) {
        end = { error };
        break;
      }
      if (next.done === true) {
        end = {};
        break;
      }
      head.push(next.value);
      headBytes += next.value.length;
    }
    const rest = replay(head, it, end);
    if (end !== undefined) {
      yield* parseDeb822Stream(rest, parse);
    } else {
      const decoder = new ParagraphBatchDecoder();
      const job = (pool ?? sharedWorkerPool()).stream(DEB822_PARSE_JOB, { data: parse }, messages(rest), signal);
      for await (const batch of job) yield* decoder.decode(batch as ParagraphBatch);
    }
    finished = true;
  } finally {
    if (!finished && end === undefined) await it.return?.();
  }
}

/** The chunks read ahead, then the rest of the input (or how it ended while reading ahead). */
async function* replay(
  head: readonly Uint8Array[],
  it: AsyncIterator<Uint8Array>,
  end: { readonly error?: unknown } | undefined,
): AsyncGenerator<Uint8Array> {
  yield* head;
  if (end !== undefined) {
    if ('error' in end) throw end.error;
    return;
  }
  for (;;) {
    const next = await it.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/**
 * Chunks gathered into fresh MESSAGE_BYTES buffers that are moved, not copied, to the worker.
 * A chunk is never moved itself: its memory may be shared with other Buffers (Node's pool).
 * When the input fails, what it gave so far is still sent, then the error is thrown.
 */
async function* messages(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<WorkerPayload> {
  let buf = new Uint8Array(MESSAGE_BYTES);
  let fill = 0;
  const send = (): WorkerPayload => {
    const data = buf.subarray(0, fill);
    buf = new Uint8Array(MESSAGE_BYTES);
    fill = 0;
    return { data, transfer: [data.buffer] };
  };
  try {
    for await (const chunk of chunks) {
      for (let off = 0; off < chunk.length; ) {
        const n = Math.min(MESSAGE_BYTES - fill, chunk.length - off);
        buf.set(chunk.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === MESSAGE_BYTES) yield send();
      }
    }
  } catch (error) {
    if (fill > 0) yield send();
    throw error;
  }
  if (fill > 0) yield send();
}
