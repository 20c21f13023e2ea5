import { isDebstashError } from '../errors/debstash-error.js';
import { keyringOf } from '../upstream/keyring.js';
import { verifyDetachedRelease, verifyInRelease } from '../upstream/verify-release.js';
import type { PrivateKey } from 'openpgp';
import { KeySigner } from './key-signer.js';
import { keyError, why } from './key-error.js';

const PROBE = 'Origin: debstash\nLabel: key check\nSuite: probe\n- dash-escaped line\n';

/**
 * Makes an InRelease-style and a Release.gpg-style signature with the unlocked `key` and
 * verifies both with the apt-strict verifier that mirrors use, so a key enters the store only
 * if what it signs will be accepted. DEBSTASH_E_KEY_REFUSED with the verifier's reason if not.
 */
export async function probeSigning(key: PrivateKey, now: Date = new Date()): Promise<void> {
  const signer = new KeySigner(key);
  const keyring = keyringOf([key.toPublic()], `key ${signer.fingerprint}`);
  try {
    await verifyInRelease(await signer.clearsign(PROBE), keyring, { source: 'a test InRelease', now });
    await verifyDetachedRelease(Buffer.from(PROBE, 'utf8'), await signer.detachSign(PROBE), keyring, { source: 'a test Release', now });
  } catch (err) {
    if (isDebstashError(err) && !err.code.startsWith('DEBSTASH_E_SIGNATURE')) throw err;
    throw keyError('DEBSTASH_E_KEY_REFUSED', `key ${signer.fingerprint} makes signatures apt would refuse: ${why(err)}`, { fingerprint: signer.fingerprint }, err);
  }
}
