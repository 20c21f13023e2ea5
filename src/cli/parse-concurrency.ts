import { DebstashError } from '../errors/debstash-error.js';

/** The most parallel work any `--concurrency` accepts: more only adds contention on one machine. */
export const MAX_CONCURRENCY = 64;

/** `--concurrency N`: undefined when not given, else a whole number from 1 to 64 (a usage error otherwise). */
export function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new DebstashError('DEBSTASH_E_USAGE', `--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not ${JSON.stringify(value)}`);
  }
  return n;
}
