import { readFileSync } from 'node:fs';
import type { WorkerJobHandler } from '../concurrency/serve-worker-jobs.js';
import { type DebDescription, describeDeb, once } from './deb-description.js';

export const DESCRIBE_DEBS_JOB = 'deb.describe';

/** A described .deb and its bytes, read once for both parsing and the pool. */
export interface DescribedDeb {
  readonly deb: DebDescription;
  readonly bytes: Uint8Array;
}

/**
 * Inside a worker: reads each of the files named (a string[]) whole, describes it, and returns
 * the descriptions with the bytes, moved back to the main thread rather than copied.
 */
export const describeDebsJob: WorkerJobHandler = async (request) => {
  const out: DescribedDeb[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const path of request as readonly string[]) {
    let bytes: Uint8Array = readFileSync(path);
    // Only a buffer that is the whole of its memory may move; a slice of Node's pool is copied.
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = new Uint8Array(bytes);
    out.push({ deb: await describeDeb(once(bytes), path), bytes });
    transfer.push(bytes.buffer as ArrayBuffer);
  }
  return { data: out, transfer };
};
