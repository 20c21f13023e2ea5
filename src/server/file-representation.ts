import type { Stats } from 'node:fs';
import { cacheControl, contentType } from './content-type.js';

/** What identifies one version of a file: a rename over the name changes the inode, a rewrite the size or mtime. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Everything a response about one version of a file needs, computed once: validators, the
 * header lists of a full answer and of a 304, and (when cached) the bytes themselves.
 */
export interface FileRepresentation {
  readonly identity: FileIdentity;
  readonly size: number;
  readonly etag: string;
  /** The modification time rounded down to its whole second, as Last-Modified states it. */
  readonly modifiedSecondMs: number;
  /** Flat [name, value, ...] list for a 200 (Content-Length included), as `writeHead` takes it. */
  readonly fullHeaders: readonly string[];
  /** Flat list shared by every answer about this file except a 200's Content-Length. */
  readonly commonHeaders: readonly string[];
  readonly body?: Buffer;
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export function representFile(relative: string, st: Stats, body?: Buffer): FileRepresentation {
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`;
  return represent(relative, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }, etag, body);
}

/**
 * A pool file served under a published pool path: its SHA-256 is a strong ETag (the same
 * bytes have the same tag under any name, on any replica).
 */
export function representPoolFile(relative: string, sha256: string, identity: FileIdentity): FileRepresentation {
  return represent(relative, identity, `"${sha256}"`);
}

function represent(relative: string, identity: FileIdentity, etag: string, body?: Buffer): FileRepresentation {
  const modifiedSecondMs = Math.floor(identity.mtimeMs / 1000) * 1000;
  const commonHeaders = [
    'ETag', etag,
    'Last-Modified', new Date(modifiedSecondMs).toUTCString(),
    'Cache-Control', cacheControl(relative),
    'Accept-Ranges', 'bytes',
    'Content-Type', contentType(relative),
  ];
  return {
    identity,
    size: identity.size,
    etag,
    modifiedSecondMs,
    commonHeaders,
    fullHeaders: [...commonHeaders, 'Content-Length', String(identity.size)],
    ...(body ? { body } : {}),
  };
}
