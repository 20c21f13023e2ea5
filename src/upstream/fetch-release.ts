import { createHash } from 'node:crypto';
import { checkReleaseTimes, parseRelease, type ReleaseFile } from '../deb/release.js';
import { DebstashError } from '../errors/debstash-error.js';
import { distUrl } from './dist-url.js';
import type { UpstreamClient } from './http-client.js';
import type { Keyring } from './keyring.js';
import type { VerifiedRelease } from './verify-release.js';
import { limitExceeded } from './upstream-limits.js';

/** What the caller kept from the last successful fetch, for a conditional GET. */
export interface PreviousRelease {
  readonly via?: 'InRelease' | 'Release';
  readonly etag?: string;
  readonly lastModified?: string;
  /** Valid-Until of the kept Release: a 304 does not make an expired Release valid again. */
  readonly validUntil?: Date;
  /**
   * SHA-256 of the InRelease (or Release) bytes verified last time. Archives that send neither
   * ETag nor Last-Modified answer every request in full; the same bytes again count as "not
   * modified" without verifying them a second time.
   */
  readonly sha256?: string;
}

export interface FetchReleaseOptions {
  readonly client: UpstreamClient;
  /** The archive root, e.g. what a sources entry's URIs says. */
  readonly baseUrl: string;
  readonly dist: string;
  /**
   * The keys the Release must be signed with, or how to get them: a function is called only
   * when a Release arrives to be verified, so an unchanged upstream costs no keyring read.
   */
  readonly keyring: Keyring | (() => Promise<Keyring>);
  readonly previous?: PreviousRelease;
  /** Default: the current time. */
  readonly now?: Date;
  /** See checkReleaseTimes. Default 60. */
  readonly maxFutureSkewS?: number;
  /** See checkReleaseTimes. */
  readonly maxAgeS?: number;
  readonly signal?: AbortSignal;
}

export type FetchReleaseResult =
  | {
      readonly notModified: true;
      readonly via: 'InRelease' | 'Release';
      readonly etag?: string;
      readonly lastModified?: string;
    }
  | {
      readonly notModified: false;
      readonly via: 'InRelease' | 'Release';
      /** The URL of the InRelease or Release. */
      readonly url: string;
      readonly release: ReleaseFile;
      /** SHA-256 of the raw InRelease (or Release) bytes: equal hashes mean nothing changed. */
      readonly releaseSha256: string;
      /** Primary fingerprint of the key that signed it, uppercase hex. */
      readonly signedBy: string;
      readonly etag?: string;
      readonly lastModified?: string;
    };


/**
 * The files a Release lists: the most continuation lines of any one field (MD5Sum, SHA256...).
 * Counted on the raw bytes, before the signature check and the parser hold a copy and a table
 * of them.
 */
function listedFiles(raw: Uint8Array): number {
  let most = 0;
  let current = 0;
  for (let pos = 0; pos < raw.length; ) {
    const nl = raw.indexOf(0x0a, pos);
    const c = raw[pos];
    if (c === 0x20 || c === 0x09) current++;
    else current = 0;
    if (current > most) most = current;
    if (nl < 0) break;
    pos = nl + 1;
  }
  return most;
}

function isNotFound(err: unknown): boolean {
  return err instanceof DebstashError && err.code === 'DEBSTASH_E_UPSTREAM_HTTP' && (err.details.status === 404 || err.details.status === 410);
}

/**
 * Fetches, verifies and parses the Release of `dist`, as apt does: InRelease first (a
 * conditional GET when `previous` says what we have); only when it does not exist (404),
 * Release + Release.gpg. A signature that does not verify is an error, never a reason to fall
 * back. Date and Valid-Until are checked at `now` (DEBSTASH_E_RELEASE_STALE), also on a 304.
 */
export async function fetchRelease(options: FetchReleaseOptions): Promise<FetchReleaseResult> {
  const { client, previous, signal } = options;
  // OpenPGP (a large module) is loaded, and the keyring read, only when there is a signature to check.
  const verifier = async (): Promise<{ keyring: Keyring; verify: typeof import('./verify-release.js') }> => ({
    keyring: typeof options.keyring === 'function' ? await options.keyring() : options.keyring,
    verify: await import('./verify-release.js'),
  });
  const now = options.now ?? new Date();
  const base = distUrl(options.baseUrl, options.dist);

  const conditional = (via: 'InRelease' | 'Release'): { etag?: string; lastModified?: string } =>
    previous === undefined || (previous.via !== undefined && previous.via !== via)
      ? {}
      : {
          ...(previous.etag !== undefined ? { etag: previous.etag } : {}),
          ...(previous.lastModified !== undefined ? { lastModified: previous.lastModified } : {}),
        };

  const notModified = (via: 'InRelease' | 'Release', url: string): FetchReleaseResult => {
    const until = previous?.validUntil;
    if (until !== undefined && now.getTime() >= until.getTime()) {
      throw new DebstashError('DEBSTASH_E_RELEASE_STALE', `${url}: unchanged upstream, but the Release we have expired at ${until.toISOString()}; now is ${now.toISOString()}`, {
        source: url,
        validUntil: until.toISOString(),
        now: now.toISOString(),
      });
    }
    return { notModified: true, via, ...conditional(via) };
  };

  const sha256 = (raw: Buffer): string => createHash('sha256').update(raw).digest('hex');
  const sameBytes = (raw: Buffer): boolean => previous?.sha256 !== undefined && sha256(raw) === previous.sha256;
  const checkFiles = (url: string, raw: Buffer): void => {
    const files = listedFiles(raw);
    if (files > client.limits.releaseFiles) throw limitExceeded('releaseFiles', client.limits, `${url}: the files listed`, files);
  };

  const finish = (via: 'InRelease' | 'Release', url: string, raw: Buffer, verified: VerifiedRelease, etag?: string, lastModified?: string): FetchReleaseResult => {
    const release = parseRelease(verified.text, { source: url });
    checkReleaseTimes(release, now, {
      ...(options.maxFutureSkewS !== undefined ? { maxFutureSkewS: options.maxFutureSkewS } : {}),
      ...(options.maxAgeS !== undefined ? { maxAgeS: options.maxAgeS } : {}),
    });
    return {
      notModified: false,
      via,
      url,
      release,
      releaseSha256: sha256(raw),
      signedBy: verified.fingerprint,
      ...(etag !== undefined ? { etag } : {}),
      ...(lastModified !== undefined ? { lastModified } : {}),
    };
  };

  const inUrl = new URL('InRelease', base).href;
  try {
    const got = await client.getBuffer(inUrl, { signal, limit: 'releaseBytes', ...conditional('InRelease') });
    if (got.notModified || sameBytes(got.body)) return notModified('InRelease', inUrl);
    checkFiles(inUrl, got.body);
    const { keyring, verify } = await verifier();
    const verified = await verify.verifyInRelease(got.body, keyring, { source: inUrl, now });
    return finish('InRelease', inUrl, got.body, verified, got.etag, got.lastModified);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }

  const relUrl = new URL('Release', base).href;
  const got = await client.getBuffer(relUrl, { signal, limit: 'releaseBytes', ...conditional('Release') });
  if (got.notModified || sameBytes(got.body)) return notModified('Release', relUrl);
  checkFiles(relUrl, got.body);
  let signature: Buffer;
  try {
    const sig = await client.getBuffer(`${relUrl}.gpg`, { signal, limit: 'releaseBytes' });
    if (sig.notModified) throw new Error('unreachable: unconditional GET answered 304');
    signature = sig.body;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new DebstashError('DEBSTASH_E_SIGNATURE_INVALID', `${relUrl}: not signed (no InRelease and no Release.gpg)`, { source: relUrl }, { cause: err });
  }
  const { keyring, verify } = await verifier();
  const verified = await verify.verifyDetachedRelease(got.body, signature, keyring, { source: relUrl, now });
  return finish('Release', relUrl, got.body, verified, got.etag, got.lastModified);
}
