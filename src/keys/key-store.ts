/**
 * The signing keys of a data dir, in `<dataDir>/keys/` (mode 0700):
 *
 *   FINGERPRINT.secret.asc   the armored secret key, mode 0600, encrypted when it has a passphrase
 *   FINGERPRINT.public.asc   the armored public key (for people and web servers; never read back)
 *   default                  the fingerprint of the key publishing uses when none is named
 *
 * The secret file is the key: a key is in the store once its secret file is. Every file is
 * written under a temporary name, fsync'd and renamed (or hard-linked, where an existing file
 * must win) into place, so a crash never leaves a half-written key or default.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readPrivateKey, type PrivateKey } from 'openpgp';
import { DebstashError } from '../errors/debstash-error.js';
import { describeKey, type KeyInfo } from './key-info.js';
import { keyError, why } from './key-error.js';

const SECRET_SUFFIX = '.secret.asc';
const PUBLIC_SUFFIX = '.public.asc';
const DEFAULT_FILE = 'default';
const SECRET_FILE = /^([0-9A-F]{40})\.secret\.asc$/;
const FINGERPRINT = /^[0-9A-F]{40}$/;

export const SECRET_MODE = 0o600;
export const PUBLIC_MODE = 0o644;
export const DIR_MODE = 0o700;

export function keysDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

export function secretKeyPath(dataDir: string, fingerprint: string): string {
  return join(keysDir(dataDir), `${fingerprint}${SECRET_SUFFIX}`);
}

export function publicKeyPath(dataDir: string, fingerprint: string): string {
  return join(keysDir(dataDir), `${fingerprint}${PUBLIC_SUFFIX}`);
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function storeError(path: string, doing: string, err: unknown): DebstashError {
  if (err instanceof DebstashError) return err;
  const code = errno(err) ?? why(err);
  return keyError('DEBSTASH_E_KEY_STORE', `cannot ${doing} ${path} (${code})`, { path, errno: code }, err);
}

async function ensureKeysDir(dataDir: string): Promise<string> {
  const dir = keysDir(dataDir);
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    // mkdir leaves an existing directory's mode alone, and the umask may narrow a new one.
    await chmod(dir, DIR_MODE);
  } catch (err) {
    throw storeError(dir, 'create the key directory', err);
  }
  return dir;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to a new temporary file beside `path`, with `mode`, fsync'd; returns its name. */
async function writeTemp(path: string, data: string, mode: number): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx', mode);
  try {
    // The umask may have narrowed the mode; it never widens it, so this only restores it.
    await fh.chmod(mode);
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

/** Replaces `path` atomically. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = await writeTemp(path, data, mode);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Creates `path` atomically unless it exists; false when it existed (and is left as it was). */
async function createAtomic(path: string, data: string, mode: number): Promise<boolean> {
  const tmp = await writeTemp(path, data, mode);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Adds a checked key to the store (generateKey and importKey check it first). It becomes the
 * default when there is none yet. DEBSTASH_E_KEY_EXISTS if the store has it already.
 */
export async function storeKey(dataDir: string, key: PrivateKey): Promise<KeyInfo> {
  const dir = await ensureKeysDir(dataDir);
  const fingerprint = key.getFingerprint().toUpperCase();
  const secret = secretKeyPath(dataDir, fingerprint);
  let created: boolean;
  try {
    created = await createAtomic(secret, key.armor(), SECRET_MODE);
  } catch (err) {
    throw storeError(secret, 'write', err);
  }
  if (!created) {
    throw keyError('DEBSTASH_E_KEY_EXISTS', `key ${fingerprint} is already in the key store`, { fingerprint });
  }
  const pub = publicKeyPath(dataDir, fingerprint);
  const defaultPath = join(dir, DEFAULT_FILE);
  try {
    await writeAtomic(pub, key.toPublic().armor(), PUBLIC_MODE);
    await createAtomic(defaultPath, `${fingerprint}\n`, PUBLIC_MODE);
    await syncDir(dir);
  } catch (err) {
    throw storeError(dir, 'write to', err);
  }
  return describeKey(key, (await defaultFingerprint(dataDir)) === fingerprint);
}

/** Fingerprints of the keys in the store, sorted. */
export async function storedFingerprints(dataDir: string): Promise<string[]> {
  const dir = keysDir(dataDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw storeError(dir, 'read', err);
  }
  return names
    .map((n) => SECRET_FILE.exec(n)?.[1])
    .filter((f): f is string => f !== undefined)
    .sort();
}

/** The secret key stored under `fingerprint`, as stored (still encrypted if it has a passphrase). */
export async function readStoredKey(dataDir: string, fingerprint: string): Promise<PrivateKey> {
  const path = secretKeyPath(dataDir, fingerprint);
  let armored: string;
  try {
    armored = await readFile(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `no key ${fingerprint} in ${keysDir(dataDir)}`, { fingerprint });
    throw storeError(path, 'read', err);
  }
  try {
    return await readPrivateKey({ armoredKey: armored });
  } catch (err) {
    throw keyError('DEBSTASH_E_KEY_STORE', `${path} is not a readable secret key (${why(err)})`, { path }, err);
  }
}

/** The fingerprint recorded as the default, if any (whether or not that key is still there). */
export async function defaultFingerprint(dataDir: string): Promise<string | undefined> {
  const path = join(keysDir(dataDir), DEFAULT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw storeError(path, 'read', err);
  }
  const fingerprint = text.trim().toUpperCase();
  if (!FINGERPRINT.test(fingerprint)) throw keyError('DEBSTASH_E_KEY_STORE', `${path} does not hold a key fingerprint`, { path });
  return fingerprint;
}

/** Spaces (as gpg groups fingerprints) and a 0x prefix are allowed; case does not matter. */
function normalizeKeyId(keyId: string): string {
  const id = keyId.replace(/\s+/g, '').replace(/^0x/i, '').toUpperCase();
  if (!/^[0-9A-F]{8,40}$/.test(id)) {
    throw new DebstashError('DEBSTASH_E_USAGE', `${JSON.stringify(keyId)} is not a key ID: give the fingerprint, or its last 16 (or 8) hex digits`, { keyId });
  }
  return id;
}

/**
 * The fingerprint of the key `keyId` names (a fingerprint or a key ID: a trailing part of the
 * fingerprint), or of the default key when it is omitted. DEBSTASH_E_KEY_NOT_FOUND when there
 * is no such key, when it is ambiguous, or when there is no default.
 */
export async function resolveKey(dataDir: string, keyId?: string): Promise<string> {
  const all = await storedFingerprints(dataDir);
  if (keyId === undefined) {
    const fingerprint = await defaultFingerprint(dataDir);
    if (fingerprint !== undefined) {
      if (!all.includes(fingerprint)) {
        throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `the default key ${fingerprint} is no longer in ${keysDir(dataDir)}; choose another with "debstash key default KEYID"`, { fingerprint });
      }
      return fingerprint;
    }
    if (all.length === 1) return all[0];
    throw keyError(
      'DEBSTASH_E_KEY_NOT_FOUND',
      all.length === 0 ? `there is no signing key in ${keysDir(dataDir)}` : `${all.length} keys and none is the default; name one, or set it with "debstash key default KEYID"`,
      {},
    );
  }
  const id = normalizeKeyId(keyId);
  const matches = all.filter((f) => f.endsWith(id));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `no key ${id} in ${keysDir(dataDir)}`, { keyId: id });
  throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `${id} matches ${matches.length} keys (${matches.join(', ')}); give more of the fingerprint`, { keyId: id });
}

/** Makes `keyId` the default key; returns its fingerprint. */
export async function setDefaultKey(dataDir: string, keyId: string): Promise<KeyInfo> {
  const fingerprint = await resolveKey(dataDir, keyId);
  const key = await readStoredKey(dataDir, fingerprint);
  const dir = await ensureKeysDir(dataDir);
  const path = join(dir, DEFAULT_FILE);
  try {
    await writeAtomic(path, `${fingerprint}\n`, PUBLIC_MODE);
    await syncDir(dir);
  } catch (err) {
    throw storeError(path, 'write', err);
  }
  return describeKey(key, true);
}

/** The keys in the store, sorted by fingerprint. */
export async function listKeys(dataDir: string): Promise<KeyInfo[]> {
  const all = await storedFingerprints(dataDir);
  const byDefault = await defaultFingerprint(dataDir);
  const fallback = byDefault === undefined && all.length === 1 ? all[0] : byDefault;
  return Promise.all(all.map(async (f) => describeKey(await readStoredKey(dataDir, f), f === fallback)));
}

/** The armored public key of `keyId` (default: the default key), as clients put it in Signed-By. */
export async function exportPublicKey(dataDir: string, keyId?: string): Promise<{ fingerprint: string; armored: string }> {
  const fingerprint = await resolveKey(dataDir, keyId);
  const key = await readStoredKey(dataDir, fingerprint);
  return { fingerprint, armored: key.toPublic().armor() };
}
