import { decryptKey, type PrivateKey } from 'openpgp';
import { needsPassphrase } from './key-policy.js';
import { keyError, why } from './key-error.js';
import { PASSPHRASE_ENV, PASSPHRASE_FILE_ENV } from './passphrase.js';

/** What openpgp says when the passphrase does not open the key (S2K + CFB checksum, or AEAD). */
const WRONG_PASSPHRASE = /incorrect key passphrase|authentication tag mismatch|modification detected/i;

/**
 * `key` with its secret parts unlocked by `passphrase` (the key itself when it has none; a
 * passphrase given for such a key is not needed and ignored). A missing or wrong passphrase
 * is DEBSTASH_E_KEY_PASSPHRASE; a key that cannot be unlocked otherwise (corrupt, an S2K
 * openpgp does not know) is DEBSTASH_E_KEY_INVALID.
 */
export async function unlockKey(key: PrivateKey, passphrase: string | undefined): Promise<PrivateKey> {
  if (!needsPassphrase(key)) return key;
  const fingerprint = key.getFingerprint().toUpperCase();
  if (passphrase === undefined) {
    throw keyError(
      'DEBSTASH_E_KEY_PASSPHRASE',
      `key ${fingerprint} is protected by a passphrase and none was given (${PASSPHRASE_ENV}, ${PASSPHRASE_FILE_ENV} or --passphrase-file)`,
      { fingerprint },
    );
  }
  try {
    return await decryptKey({ privateKey: key, passphrase });
  } catch (err) {
    if (WRONG_PASSPHRASE.test(why(err))) {
      throw keyError('DEBSTASH_E_KEY_PASSPHRASE', `the passphrase given does not unlock key ${fingerprint}`, { fingerprint }, err);
    }
    throw keyError('DEBSTASH_E_KEY_INVALID', `key ${fingerprint} cannot be unlocked (${why(err)})`, { fingerprint }, err);
  }
}
