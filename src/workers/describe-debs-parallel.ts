import { availableParallelism } from 'node:os';
import type { WorkerPool } from '../concurrency/worker-pool.js';
import { type DescribedDeb, DESCRIBE_DEBS_JOB } from './deb-job.js';
import { sharedWorkerPool } from './shared-pool.js';

/**
 * Files per job: enough that a job's messages and scheduling cost little next to its work
 * (a small .deb takes about 0.2 ms to read and describe), few enough to spread over the pool.
 */
const JOB_FILES = 128;

/**
 * Below this many files a worker does not pay: starting one costs 30-50 ms, about what reading
 * a few hundred small .debs in this thread does. Needs a second core: with one the worker only
 * takes turns with this thread.
 */
export const DEB_WORKER_MIN_FILES = availableParallelism() >= 2 ? 256 : Infinity;

/**
 * Reads and describes the .debs at `paths` (each small enough to hold whole) in the worker
 * pool, JOB_FILES to a job, and returns them in the order of `paths` with their bytes. The
 * first failure (the same coded error describeDeb throws in this thread) rejects; `signal`
 * cancels the jobs.
 */
export async function describeDebsInWorkers(paths: readonly string[], signal?: AbortSignal, pool: WorkerPool = sharedWorkerPool()): Promise<DescribedDeb[]> {
  const jobs: Promise<DescribedDeb[]>[] = [];
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(signal?.reason);
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let at = 0; at < paths.length; at += JOB_FILES) {
      const job = pool.call(DESCRIBE_DEBS_JOB, { data: paths.slice(at, at + JOB_FILES) }, inner.signal) as Promise<DescribedDeb[]>;
      // One failure cancels the jobs still waiting or running.
      job.catch((error: unknown) => inner.abort(error));
      jobs.push(job);
    }
    const settled = await Promise.allSettled(jobs);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw signal?.aborted === true ? signal.reason : failed.reason;
    return settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
