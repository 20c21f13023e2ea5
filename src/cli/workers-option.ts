import { availableParallelism } from 'node:os';
import { DebstashError } from '../errors/debstash-error.js';

/** More processes than this serve no machine better: each holds its own hot-file cache and store connection. */
export const MAX_WORKERS = 64;

/**
 * `--workers N|auto` of `serve` and `up`: how many processes serve the APT tree. 1 (the
 * default) is the single process that answers everything; `auto` is one per core (so 1 on a
 * single core).
 */
export function parseWorkersOption(value: string): number {
  const v = value.trim();
  if (v === 'auto') return Math.min(availableParallelism(), MAX_WORKERS);
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS)) {
    throw new DebstashError('DEBSTASH_E_USAGE', `--workers ${JSON.stringify(value)}: expected a whole number from 1 to ${MAX_WORKERS}, or auto (one per core)`, { option: '--workers', value });
  }
  return n;
}
