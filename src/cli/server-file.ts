import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfiguredToken } from '../auth/configured-token.js';

/**
 * `DATA_DIR/server.json`: how a CLI on the same data dir finds the `serve`/`up` that runs on
 * it, so a command can go through that server instead of paying a process start-up of its own
 * (store, keys, schema, OpenPGP). It holds the server's URL, its pid, and an admin secret made
 * for this start only, which the server accepts beside its other tokens.
 *
 * Why a file with a secret rather than a unix socket: reading the file needs exactly the access
 * that opening the store needs (the data dir's owner, mode 0600), so the secret grants nothing
 * its reader could not do already; the server keeps one listener (no second, unauthenticated
 * door beside the TCP one, no 108-byte socket path limit on deep data dirs); and `--server URL`
 * with a token from `debstash token create` is the same client path.
 */
export interface ServerFile {
  readonly url: string;
  readonly pid: number;
  readonly secret: string;
}

export const SERVER_FILE = 'server.json';

/**
 * What `serve`/`up` do for the CLI beside them: an admin token made for this start (given to the
 * server with its other tokens), and, once the server listens, server.json announcing it. The
 * returned remover is for when the server stops.
 */
export function localServerAccess(dataDir: string): { readonly token: ConfiguredToken; announce(server: { readonly host: string; readonly port: number }): Promise<() => Promise<void>> } {
  // Recognisable as a per-start secret in a log or a leak, never stored in the token table.
  const secret = `dst_local_${randomBytes(32).toString('base64url')}`;
  return {
    token: { name: 'local-cli', scope: 'admin', secret },
    announce: (server) => writeServerFile(dataDir, { url: localUrl(server.host, server.port), pid: process.pid, secret }),
  };
}

/** The URL a CLI on this machine reaches a server at: a wildcard listen is reached on loopback. */
function localUrl(host: string, port: number): string {
  const reach = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
}

/**
 * Writes server.json: created 0600 under another name, then renamed, so no reader ever sees a
 * partial file or one readable by others. Returns a remover that deletes it only while it is
 * still this process's (another server may have started on the data dir since).
 */
async function writeServerFile(dataDir: string, file: ServerFile): Promise<() => Promise<void>> {
  const path = join(dataDir, SERVER_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(file)}\n`);
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  return async () => {
    const now = await readServerFile(dataDir).catch(() => undefined);
    if (now !== undefined && 'secret' in now && now.secret === file.secret) await rm(path, { force: true });
  };
}

/**
 * server.json as written by `writeServerFile`, or why it is not usable: absent, not the
 * caller's own file with no access for others (a file anyone else could have written is
 * not trusted with where to send an operation), or malformed.
 */
export async function readServerFile(dataDir: string): Promise<ServerFile | { readonly unusable: string }> {
  const path = join(dataDir, SERVER_FILE);
  const st = await lstat(path).catch(() => undefined);
  if (st === undefined) return { unusable: 'no server.json' };
  if (!st.isFile() || (process.getuid !== undefined && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) {
    return { unusable: `${path} is not a private file of this user (mode 0600); ignored` };
  }
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as Partial<ServerFile>;
    if (typeof doc.url === 'string' && typeof doc.pid === 'number' && typeof doc.secret === 'string') return { url: doc.url, pid: doc.pid, secret: doc.secret };
  } catch {
    // Malformed: reported below like a file with missing fields.
  }
  return { unusable: `${path} is not a server file; ignored` };
}

/** Whether a process with this pid runs (one of another user counts as not ours: not running). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
