import type { Stats } from 'node:fs';
import { cacheControl, contentType } from './content-type.js';

/**
 * What identifies one version of a file at a name: a rename over the name changes the inode, a
 * rewrite the size or mtime, and linking a file back over the name (a switch back to an older
 * generation) its ctime, which dates Last-Modified.
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/**
 * How long after the end of the second of a change Last-Modified waits: file times come from
 * the kernel's coarse clock, which may lag Date.now() by a tick (a few ms); the margin is that
 * tick with room to spare.
 */
const SETTLE_MARGIN_MS = 1000;

/**
 * Everything a response about one version of a file needs, computed once: validators, the
 * header lists of a full answer and of a 304, and (when cached) the bytes themselves.
 */
export interface FileRepresentation {
  readonly identity: FileIdentity;
  readonly size: number;
  readonly etag: string;
  /**
   * The whole second Last-Modified states (see lastModifiedSecond), or undefined when the file
   * changed too recently to be given one: then If-Modified-Since and a date in If-Range never match.
   */
  readonly lastModifiedMs: number | undefined;
  /** Flat [name, value, ...] list for a 200 (Content-Length included), as `writeHead` takes it. */
  readonly fullHeaders: readonly string[];
  /** Flat list shared by every answer about this file except a 200's Content-Length. */
  readonly commonHeaders: readonly string[];
  readonly body?: Buffer;
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * The Last-Modified of a file version found at its name by a look (open or stat) that began at
 * `lookedAtMs`, or undefined when none can be given safely.
 *
 * If-Modified-Since equal to Last-Modified means "not modified" (RFC 9110), and dates have
 * whole seconds, so every later version at a name must get a later second. The ctime, not the
 * mtime, dates it: a publish puts every file at its name by link and rename, which set the
 * ctime to that moment, while the mtime can be much older (a plain index linked back from
 * by-hash/ at a switch to an older snapshot, a pool file). And the date is only given once
 * the second of that ctime was over before the look began: the version was then in place
 * before the look, any later one replaces it after the look, so its ctime lies in a later
 * second. A version whose ctime is in the second of the look gets no Last-Modified (its
 * clients revalidate with the ETag, or fetch again).
 */
export function lastModifiedSecond(st: Pick<FileIdentity, 'ctimeMs'>, lookedAtMs: number): number | undefined {
  const second = Math.floor(st.ctimeMs / 1000) * 1000;
  return second + 1000 + SETTLE_MARGIN_MS <= lookedAtMs ? second : undefined;
}

export function representFile(relative: string, st: Stats, lookedAtMs: number, body?: Buffer): FileRepresentation {
  const lastModifiedMs = lastModifiedSecond(st, lookedAtMs);
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`;
  return represent(relative, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs }, etag, lastModifiedMs, body);
}

/**
 * A pool file served under a published pool path: its SHA-256 is a strong ETag (the same
 * bytes have the same tag under any name, on any replica).
 */
export function representPoolFile(relative: string, sha256: string, identity: FileIdentity, lookedAtMs: number, body?: Buffer): FileRepresentation {
  return represent(relative, identity, `"${sha256}"`, lastModifiedSecond(identity, lookedAtMs), body);
}

function represent(relative: string, identity: FileIdentity, etag: string, lastModifiedMs: number | undefined, body?: Buffer): FileRepresentation {
  const commonHeaders = [
    'ETag', etag,
    ...(lastModifiedMs === undefined ? [] : ['Last-Modified', new Date(lastModifiedMs).toUTCString()]),
    'Cache-Control', cacheControl(relative),
    'Accept-Ranges', 'bytes',
    'Content-Type', contentType(relative),
  ];
  return {
    identity,
    size: identity.size,
    etag,
    lastModifiedMs,
    commonHeaders,
    fullHeaders: [...commonHeaders, 'Content-Length', String(identity.size)],
    ...(body ? { body } : {}),
  };
}
