import { config as defaultConfig, enums, type PartialConfig, type PrivateKey, type SecretKeyPacket, type SecretSubkeyPacket, type Subkey } from 'openpgp';
import { keyRefusal } from '../upstream/signature-policy.js';
import { algorithmName } from './key-info.js';
import { keyError, why } from './key-error.js';

/** Key algorithms are judged here (with apt's rules), not by openpgp's own defaults. */
export const ALGORITHMS_DECIDED_HERE: PartialConfig = {
  rejectPublicKeyAlgorithms: new Set(),
  rejectCurves: new Set(),
  minRSABits: 0,
};

/**
 * RFC 9580's new algorithm numbers (X25519, X448, Ed25519, Ed448). gpgv 2.2, which apt on
 * Debian 12 runs, answers "Invalid public key algorithm" for them, and sqv 1.1 cannot bind
 * such keys: gpg's "ed25519" is the older EdDSA (22) on the Ed25519 curve, which is what
 * `key generate` makes.
 */
const TOO_NEW_FOR_GPGV = new Set<number>([enums.publicKey.x25519, enums.publicKey.x448, enums.publicKey.ed25519, enums.publicKey.ed448]);

type KeyPart = PrivateKey | Subkey;

function judgeAlgorithm(part: KeyPart, fingerprint: string, role: string): void {
  const info = part.getAlgorithmInfo();
  const name = algorithmName(info);
  const packet = part.keyPacket;
  if (TOO_NEW_FOR_GPGV.has(packet.algorithm)) {
    throw keyError('DEBSTASH_E_KEY_REFUSED', `key ${fingerprint}: the ${role} uses the RFC 9580 algorithm ${name}, which apt's gpgv on Debian 12 cannot verify`, {
      fingerprint,
      algorithm: name,
    });
  }
  const refusal = keyRefusal(info);
  if (refusal !== undefined) {
    throw keyError('DEBSTASH_E_KEY_REFUSED', `key ${fingerprint}: apt refuses signatures by its ${role}: ${refusal}`, { fingerprint, algorithm: name });
  }
}

/**
 * Checks that `key` can make signatures that apt (Debian 12's gpgv, and newer apt's sqv and
 * key policy) accepts, at `now`: a version 4 key, Ed25519 or RSA ≥ 2048 (or another curve
 * apt takes), not expired or revoked, with signing capability and its secret part present.
 * Returns the (sub)key that signs. DEBSTASH_E_KEY_REFUSED (or DEBSTASH_E_KEY_INVALID for a
 * missing secret part) says why not.
 */
export async function checkSigningKey(key: PrivateKey, now: Date = new Date()): Promise<KeyPart> {
  const fingerprint = key.getFingerprint().toUpperCase();
  const version = key.keyPacket.version;
  if (version !== 4) {
    throw keyError('DEBSTASH_E_KEY_REFUSED', `key ${fingerprint} is a version ${version} OpenPGP key; apt's gpgv on Debian 12 reads only version 4 keys`, { fingerprint });
  }
  judgeAlgorithm(key, fingerprint, 'primary key');
  let signing: KeyPart;
  try {
    signing = await key.getSigningKey(undefined, now, undefined, { ...defaultConfig, ...ALGORITHMS_DECIDED_HERE });
  } catch (err) {
    throw keyError('DEBSTASH_E_KEY_REFUSED', `key ${fingerprint} cannot sign now (${why(err)}): it is expired, revoked, or not made for signing`, { fingerprint }, err);
  }
  if (signing !== key) judgeAlgorithm(signing, fingerprint, `signing subkey ${signing.getFingerprint().toUpperCase()}`);
  const packet = signing.keyPacket as SecretKeyPacket | SecretSubkeyPacket;
  if (packet.isDummy() || packet.isMissingSecretKeyMaterial()) {
    throw keyError('DEBSTASH_E_KEY_INVALID', `key ${fingerprint}: the secret part of its signing key is not in the file (a stub, e.g. for a smartcard); export it with "gpg --export-secret-subkeys"`, {
      fingerprint,
    });
  }
  return signing;
}

/** True when a secret part of the key is locked with a passphrase. */
export function needsPassphrase(key: PrivateKey): boolean {
  return key.getKeys().some(({ keyPacket }) => {
    const packet = keyPacket as SecretKeyPacket | SecretSubkeyPacket;
    return !packet.isDummy() && !packet.isMissingSecretKeyMaterial() && !packet.isDecrypted();
  });
}
