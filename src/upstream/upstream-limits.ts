/**
 * Every bound debstash puts on what an upstream archive may send, in one place. An archive is
 * trusted only once its signature checks out, and much of what it sends (the body of a
 * Release, a compressed index) is read before anything can be verified: without these bounds a
 * hostile or broken server could hold an update forever or fill memory. Each is set by an
 * environment variable (docs/limits.md lists them with their defaults); a violation is
 * DEBSTASH_E_UPSTREAM_LIMIT naming the limit, the value seen and the variable that raises it.
 */
import { DebstashError } from '../errors/debstash-error.js';

export interface UpstreamLimits {
  /** Largest InRelease, Release or Release.gpg, bytes. */
  readonly releaseBytes: number;
  /** Most files one Release may list. */
  readonly releaseFiles: number;
  /** Largest decompressed index, bytes. */
  readonly indexBytes: number;
  /** Highest decompressed : compressed ratio of an index, once `ratioAfterBytes` came out. */
  readonly indexRatio: number;
  /** Decompressed bytes of an index before the ratio counts: small indexes compress very well. */
  readonly ratioAfterBytes: number;
  /** Most stanzas (packages) in one index. */
  readonly indexStanzas: number;
  /** Largest stanza of an index, bytes (and so largest field). */
  readonly stanzaBytes: number;
  /** Slowest transfer tolerated, bytes per second over `rateWindowSeconds`. */
  readonly minRateBytesPerSecond: number;
  readonly rateWindowSeconds: number;
  /** Longest single request, headers and body, seconds. */
  readonly requestSeconds: number;
  /** Most redirects followed for one request. */
  readonly redirects: number;
  /** Follow a redirect from https to http (1) or refuse it (0). */
  readonly httpsToHttp: number;
}

export type LimitName = keyof UpstreamLimits;

interface LimitSpec {
  readonly env: string;
  readonly default: number;
  readonly unit: string;
}

const MiB = 1024 * 1024;

/** The variable and default of each limit; docs/limits.md says the same. */
export const LIMIT_SPECS: Readonly<Record<LimitName, LimitSpec>> = {
  releaseBytes: { env: 'DEBSTASH_LIMIT_RELEASE_BYTES', default: 16 * MiB, unit: 'bytes' },
  releaseFiles: { env: 'DEBSTASH_LIMIT_RELEASE_FILES', default: 100_000, unit: 'files' },
  indexBytes: { env: 'DEBSTASH_LIMIT_INDEX_BYTES', default: 1024 * MiB, unit: 'bytes' },
  indexRatio: { env: 'DEBSTASH_LIMIT_INDEX_RATIO', default: 50, unit: '×' },
  ratioAfterBytes: { env: 'DEBSTASH_LIMIT_RATIO_AFTER_BYTES', default: 64 * MiB, unit: 'bytes' },
  indexStanzas: { env: 'DEBSTASH_LIMIT_INDEX_STANZAS', default: 500_000, unit: 'stanzas' },
  stanzaBytes: { env: 'DEBSTASH_LIMIT_STANZA_BYTES', default: 1 * MiB, unit: 'bytes' },
  minRateBytesPerSecond: { env: 'DEBSTASH_LIMIT_MIN_RATE', default: 1024, unit: 'bytes/s' },
  rateWindowSeconds: { env: 'DEBSTASH_LIMIT_RATE_WINDOW', default: 30, unit: 's' },
  requestSeconds: { env: 'DEBSTASH_LIMIT_REQUEST_SECONDS', default: 3600, unit: 's' },
  redirects: { env: 'DEBSTASH_LIMIT_REDIRECTS', default: 5, unit: 'redirects' },
  httpsToHttp: { env: 'DEBSTASH_LIMIT_HTTPS_TO_HTTP', default: 0, unit: '(0 or 1)' },
};

/**
 * The limits in force: each variable of `env` that is set, else its default. A value that is
 * not a whole number ≥ 0 is refused (DEBSTASH_E_CONFIG_ENV) rather than silently ignored.
 */
export function upstreamLimits(env: NodeJS.ProcessEnv = process.env): UpstreamLimits {
  const out: Partial<Record<LimitName, number>> = {};
  for (const [name, spec] of Object.entries(LIMIT_SPECS) as [LimitName, LimitSpec][]) {
    const raw = env[spec.env];
    if (raw === undefined || raw.trim() === '') {
      out[name] = spec.default;
      continue;
    }
    const value = Number(raw.trim());
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new DebstashError('DEBSTASH_E_CONFIG_ENV', `${spec.env}=${raw}: not a whole number of ${spec.unit} (default ${spec.default})`, { variable: spec.env });
    }
    out[name] = value;
  }
  return out as UpstreamLimits;
}

/** DEBSTASH_E_UPSTREAM_LIMIT: `what` (the URL or file and what happened) broke limit `name` with `value`. */
export function limitExceeded(name: LimitName, limits: UpstreamLimits, what: string, value: number | string): DebstashError {
  const spec = LIMIT_SPECS[name];
  return new DebstashError(
    'DEBSTASH_E_UPSTREAM_LIMIT',
    `${what}: ${value} is past the limit ${name} = ${limits[name]} ${spec.unit} (raise it with ${spec.env})`,
    { limit: name, value, max: limits[name], env: spec.env },
  );
}
