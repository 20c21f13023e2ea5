/**
 * The signing keys, kept in the metadata store (`Store`: the `keys` table and the default's
 * fingerprint), so every process on one store — replicas on hosts that share no disk
 * included — signs with the same keys. The secret key is stored armored exactly as handed in:
 * encrypted when it has a passphrase, never decrypted to be stored. Keys of a data dir made by
 * an older debstash (files in DATA_DIR/keys/) are imported by importLegacyKeys.
 */
import { readPrivateKey, type PrivateKey } from 'openpgp';
import { DebstashError } from '../errors/debstash-error.js';
import type { SigningKeyRecord } from '../store/signing-key-record.js';
import type { Store, StoreReader } from '../store/store.js';
import { algorithmName, describeKey, type KeyInfo } from './key-info.js';
import { keyError, why } from './key-error.js';

/** The store's record of `key` (still encrypted if it has a passphrase); `armored` as read from a file, if it was. */
export function keyRecord(key: PrivateKey, armored: string = key.armor()): SigningKeyRecord {
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    secretArmored: armored,
    publicArmored: key.toPublic().armor(),
    algorithm: algorithmName(key.getAlgorithmInfo()),
    userId: key.getUserIDs()[0] ?? '',
    createdAt: key.getCreationTime().toISOString(),
  };
}

/**
 * Adds a checked key to the store (generateKey and importKey check it first), in one
 * transaction with making it the default when there is none yet. DEBSTASH_E_KEY_EXISTS if the
 * store has it already.
 */
export async function storeKey(store: Store, key: PrivateKey): Promise<KeyInfo> {
  const record = keyRecord(key);
  const isDefault = await store.transaction(async (tx) => {
    if (!(await tx.addSigningKey(record))) {
      throw keyError('DEBSTASH_E_KEY_EXISTS', `key ${record.fingerprint} is already in the key store`, { fingerprint: record.fingerprint });
    }
    const current = await tx.defaultSigningKey();
    if (current === undefined) await tx.setDefaultSigningKey(record.fingerprint);
    return current === undefined || current === record.fingerprint;
  });
  return describeKey(key, isDefault);
}

/** Fingerprints of the keys in the store, sorted. */
export async function storedFingerprints(store: StoreReader): Promise<string[]> {
  return (await store.listSigningKeys()).map((k) => k.fingerprint);
}

async function parseStored(record: SigningKeyRecord): Promise<PrivateKey> {
  try {
    return await readPrivateKey({ armoredKey: record.secretArmored });
  } catch (err) {
    throw keyError('DEBSTASH_E_KEY_STORE', `the stored key ${record.fingerprint} is not a readable secret key (${why(err)})`, { fingerprint: record.fingerprint }, err);
  }
}

/** The secret key stored under `fingerprint`, as stored (still encrypted if it has a passphrase). */
export async function readStoredKey(store: StoreReader, fingerprint: string): Promise<PrivateKey> {
  const record = await store.getSigningKey(fingerprint);
  if (record === undefined) throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `no key ${fingerprint} in the key store`, { fingerprint });
  return parseStored(record);
}

/** The fingerprint recorded as the default, if any (whether or not that key is still there). */
export async function defaultFingerprint(store: StoreReader): Promise<string | undefined> {
  return store.defaultSigningKey();
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
export async function resolveKey(store: StoreReader, keyId?: string): Promise<string> {
  const all = await storedFingerprints(store);
  if (keyId === undefined) {
    const fingerprint = await defaultFingerprint(store);
    if (fingerprint !== undefined) {
      if (!all.includes(fingerprint)) {
        throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `the default key ${fingerprint} is no longer in the key store; choose another with "debstash key default KEYID"`, { fingerprint });
      }
      return fingerprint;
    }
    if (all.length === 1) return all[0];
    throw keyError(
      'DEBSTASH_E_KEY_NOT_FOUND',
      all.length === 0 ? 'there is no signing key in the key store' : `${all.length} keys and none is the default; name one, or set it with "debstash key default KEYID"`,
      {},
    );
  }
  const id = normalizeKeyId(keyId);
  const matches = all.filter((f) => f.endsWith(id));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `no key ${id} in the key store`, { keyId: id });
  throw keyError('DEBSTASH_E_KEY_NOT_FOUND', `${id} matches ${matches.length} keys (${matches.join(', ')}); give more of the fingerprint`, { keyId: id });
}

/** Makes `keyId` the default key, deciding and writing in one transaction. */
export async function setDefaultKey(store: Store, keyId: string): Promise<KeyInfo> {
  const key = await store.transaction(async (tx) => {
    const fingerprint = await resolveKey(tx, keyId);
    const stored = await readStoredKey(tx, fingerprint);
    await tx.setDefaultSigningKey(fingerprint);
    return stored;
  });
  return describeKey(key, true);
}

/** The keys in the store, sorted by fingerprint. */
export async function listKeys(store: StoreReader): Promise<KeyInfo[]> {
  const all = await store.listSigningKeys();
  const byDefault = await defaultFingerprint(store);
  const fallback = byDefault === undefined && all.length === 1 ? all[0].fingerprint : byDefault;
  return Promise.all(all.map(async (r) => describeKey(await parseStored(r), r.fingerprint === fallback)));
}

/** The armored public key of `keyId` (default: the default key), as clients put it in Signed-By. */
export async function exportPublicKey(store: StoreReader, keyId?: string): Promise<{ fingerprint: string; armored: string }> {
  const fingerprint = await resolveKey(store, keyId);
  const key = await readStoredKey(store, fingerprint);
  return { fingerprint, armored: key.toPublic().armor() };
}
