/**
 * Keys of a data dir made before keys lived in the store: DATA_DIR/keys/FINGERPRINT.secret.asc
 * (armored, encrypted when it has a passphrase) and a `default` file naming one of them.
 * importLegacyKeys copies those the store lacks into it; the files are left where they are.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPrivateKey } from 'openpgp';
import type { SigningKeyRecord } from '../store/signing-key-record.js';
import type { Store } from '../store/store.js';
import { keyError, why } from './key-error.js';
import { keyRecord } from './key-store.js';

const SECRET_FILE = /^([0-9A-F]{40})\.secret\.asc$/;
const FINGERPRINT = /^[0-9A-F]{40}$/;

/** Where an older debstash kept the keys of `dataDir`. */
export function legacyKeysDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

function legacyError(path: string, doing: string, err: unknown): never {
  const reason = (err as NodeJS.ErrnoException | undefined)?.code ?? why(err);
  throw keyError('DEBSTASH_E_KEY_STORE', `cannot ${doing} ${path} (${reason}); move it out of the way if it is not a key of this data dir`, { path, reason }, err);
}

async function readLegacyKey(path: string): Promise<SigningKeyRecord> {
  let armored: string;
  try {
    armored = await readFile(path, 'utf8');
  } catch (err) {
    legacyError(path, 'read', err);
  }
  try {
    // Stored as the file holds it: a protected key stays encrypted, no passphrase is needed.
    return keyRecord(await readPrivateKey({ armoredKey: armored }), armored);
  } catch (err) {
    legacyError(path, 'import the secret key', err);
  }
}

async function readLegacyDefault(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'default'), 'utf8').catch(() => undefined);
  const fingerprint = text?.trim().toUpperCase();
  return fingerprint !== undefined && FINGERPRINT.test(fingerprint) ? fingerprint : undefined;
}

/**
 * Imports the keys of DATA_DIR/keys/ that the store lacks, and their `default` when the store
 * has none, in one transaction; returns the fingerprints imported. Idempotent: once the store
 * has them, a call costs a directory listing and one query. A key file in the store under its
 * fingerprint already is left alone (the store's copy wins).
 */
export async function importLegacyKeys(store: Store, dataDir: string): Promise<string[]> {
  const dir = legacyKeysDir(dataDir);
  const names = await readdir(dir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    legacyError(dir, 'list', err);
  });
  const found = names.map((n) => SECRET_FILE.exec(n)?.[1]).filter((f): f is string => f !== undefined);
  if (found.length === 0) return [];
  const have = new Set((await store.listSigningKeys()).map((k) => k.fingerprint));
  const missing = found.filter((f) => !have.has(f)).sort();
  if (missing.length === 0) return [];
  const records = await Promise.all(missing.map((f) => readLegacyKey(join(dir, `${f}.secret.asc`))));
  const legacyDefault = await readLegacyDefault(dir);
  return store.transaction(async (tx) => {
    const added: string[] = [];
    for (const r of records) if (await tx.addSigningKey(r)) added.push(r.fingerprint);
    if (legacyDefault !== undefined && (await tx.defaultSigningKey()) === undefined && (await tx.getSigningKey(legacyDefault)) !== undefined) {
      await tx.setDefaultSigningKey(legacyDefault);
    }
    return added;
  });
}
