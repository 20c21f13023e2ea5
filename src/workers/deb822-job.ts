import type { WorkerJobHandler } from '../concurrency/serve-worker-jobs.js';
import { type Deb822Options, parseDeb822Stream } from '../deb/deb822-parse.js';
import type { Paragraph } from '../deb/paragraph.js';
import { ParagraphBatchEncoder } from '../deb/paragraph-batch.js';

export const DEB822_PARSE_JOB = 'deb822.parse';

/**
 * Bytes per message to the worker, and the worker parser's batch size, so it decodes each in
 * place. Below Node's 1,031,913-byte threshold for external strings: the worker's texts are
 * garbage once sent, and on its heap they count towards its next collection, while external
 * ones pile up until the next full one (measured: 270 → 250 MB peak RSS for a 50 MB index).
 */
export const MESSAGE_BYTES = 960 << 10;

/**
 * Paragraphs per message back to the main thread: about a megabyte of a Packages index, so
 * each message carries about one of the parser's texts, and the main thread gets work early.
 */
const BATCH_PARAGRAPHS = 1024;

/**
 * Inside a worker: parses the deb822 bytes streamed in (Uint8Arrays) with parseDeb822Stream
 * and emits ParagraphBatches. Paragraphs completed before an error are emitted before it, as
 * parseDeb822Stream yields them before it throws.
 */
export const parseDeb822Job: WorkerJobHandler = async (request, input, emit) => {
  const encoder = new ParagraphBatchEncoder();
  let pending: Paragraph[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = encoder.encode(pending);
    pending = [];
    await emit({ data: batch, transfer: [batch.heads.buffer, batch.ranges.buffer] });
  };
  const bytes = input as AsyncIterable<Uint8Array>;
  try {
    for await (const p of parseDeb822Stream(bytes, { batchBytes: MESSAGE_BYTES, ...(request as Deb822Options) })) {
      pending.push(p);
      if (pending.length >= BATCH_PARAGRAPHS) await flush();
    }
  } finally {
    await flush();
  }
  return { data: null };
};
