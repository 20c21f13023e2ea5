import { encryptKey, readPrivateKeys, type PrivateKey } from 'openpgp';
import type { Store } from '../store/store.js';
import { KEY_CONFIG } from './generate-key.js';
import type { KeyInfo } from './key-info.js';
import { checkSigningKey, needsPassphrase } from './key-policy.js';
import { storedFingerprints, storeKey } from './key-store.js';
import { keyError, why } from './key-error.js';
import { probeSigning } from './probe-key.js';
import { unlockKey } from './unlock-key.js';

export interface ImportKeyOptions {
  /** Unlocks a protected key; for an unprotected one, the passphrase to protect it with in the store. */
  readonly passphrase?: string;
  /** When the key must be able to sign; default now. */
  readonly now?: Date;
}

const ARMOR = '-----BEGIN PGP ';

function invalid(message: string, cause?: unknown): never {
  throw keyError('DEBSTASH_E_KEY_INVALID', message, {}, cause);
}

/** OpenPGP packet tag of the first packet, old or new format; undefined if not a packet header. */
function firstPacketTag(bytes: Uint8Array): number | undefined {
  const b = bytes[0];
  if (b === undefined || (b & 0x80) === 0) return undefined;
  return (b & 0x40) !== 0 ? b & 0x3f : (b >> 2) & 0x0f;
}

async function parseSecretKey(input: Uint8Array | string): Promise<PrivateKey> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length === 0) invalid('the key file is empty');
  const tag = firstPacketTag(bytes);
  let keys: PrivateKey[];
  if (tag === 5) {
    try {
      keys = await readPrivateKeys({ binaryKeys: bytes });
    } catch (err) {
      invalid(`the secret key cannot be read (${why(err)})`, err);
    }
  } else if (tag === 6) {
    invalid('this is a public key; signing needs the secret key ("gpg --export-secret-keys KEYID")');
  } else {
    // Armored: text may come before the block, as in a mail or a note.
    const text = bytes.toString('utf8');
    if (!text.includes(`${ARMOR}PRIVATE KEY BLOCK-----`)) {
      if (text.includes(`${ARMOR}PUBLIC KEY BLOCK-----`)) invalid('this is a public key; signing needs the secret key ("gpg --export-secret-keys --armor KEYID")');
      invalid('this is neither an armored nor a binary OpenPGP secret key');
    }
    try {
      keys = await readPrivateKeys({ armoredKeys: text });
    } catch (err) {
      invalid(`the armored secret key cannot be read (${why(err)})`, err);
    }
  }
  if (keys.length !== 1) invalid(`the file holds ${keys.length} secret keys; import them one at a time`);
  return keys[0];
}

/**
 * Adds an existing secret key (armored or binary, as `gpg --export-secret-keys` writes it) to the
 * key store, if apt would accept its signatures. A protected key needs its
 * passphrase (checked here, and the key is stored still protected by it); an unprotected one is
 * stored protected by `passphrase` when one is given. Nothing is written unless every check
 * passes: DEBSTASH_E_KEY_INVALID (not a usable secret key), DEBSTASH_E_KEY_REFUSED (a key apt
 * would refuse), DEBSTASH_E_KEY_PASSPHRASE, DEBSTASH_E_KEY_EXISTS.
 */
export async function importKey(store: Store, input: Uint8Array | string, options: ImportKeyOptions = {}): Promise<KeyInfo> {
  const key = await parseSecretKey(input);
  const fingerprint = key.getFingerprint().toUpperCase();
  if ((await storedFingerprints(store)).includes(fingerprint)) {
    throw keyError('DEBSTASH_E_KEY_EXISTS', `key ${fingerprint} is already in the key store`, { fingerprint });
  }
  await checkSigningKey(key, options.now);
  const unlocked = await unlockKey(key, options.passphrase);
  await probeSigning(unlocked, options.now);
  const protect = !needsPassphrase(key) && options.passphrase !== undefined && options.passphrase !== '';
  const stored = protect ? await encryptKey({ privateKey: unlocked, passphrase: options.passphrase, config: KEY_CONFIG }) : key;
  return storeKey(store, stored);
}
