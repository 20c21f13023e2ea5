import { readFileSync } from 'node:fs';
import { DebstashError } from '../errors/debstash-error.js';
import { type RateLimit, rateLimitFromEnv } from './api/rate-limiter.js';

/** What one client may take of a server: requests by kind, connections, time to send headers. */
export interface ClientLimits {
  readonly write: RateLimit;
  readonly search: RateLimit;
  /** Open connections in all; beyond, new ones are closed at once (they would run out of descriptors). */
  readonly maxConnections: number;
  /** Open connections from one address; beyond, a 503 DEBSTASH_E_TOO_MANY_CONNECTIONS. */
  readonly maxConnectionsPerAddress: number;
  /** A client that has not sent its whole request head by then is cut (slow-loris). */
  readonly headersTimeoutMs: number;
}

/** The soft limit of open files, which every connection and served file counts against. */
function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function count(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1) {
    throw new DebstashError('DEBSTASH_E_USAGE', `${name}=${JSON.stringify(raw)} is not a positive whole number`, { variable: name });
  }
  return Number(raw);
}

/**
 * The limits `serve` and `up` apply, from the environment (each documented in
 * docs/serving.md). Total connections default to the open-files limit less 256 descriptors
 * kept for files, the store and the log, so a flood of idle connections is refused before it
 * can make the server fail to open the files it serves.
 */
export function clientLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): ClientLimits {
  const files = openFilesLimit();
  const byFiles = files === undefined ? 10_000 : Math.max(64, Math.min(100_000, files - 256));
  return {
    write: rateLimitFromEnv('DEBSTASH_RATE_WRITE', { perSecond: 20, burst: 200 }, env),
    search: rateLimitFromEnv('DEBSTASH_RATE_SEARCH', { perSecond: 10, burst: 50 }, env),
    maxConnections: count('DEBSTASH_MAX_CONNECTIONS', byFiles, env),
    maxConnectionsPerAddress: count('DEBSTASH_MAX_CONNECTIONS_PER_ADDRESS', 256, env),
    headersTimeoutMs: count('DEBSTASH_HEADERS_TIMEOUT_MS', 20_000, env),
  };
}
