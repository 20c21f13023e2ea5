import { enums, type AlgorithmInfo, type Key } from 'openpgp';

/** What `key list` shows of a key in the store. */
export interface KeyInfo {
  /** Primary key fingerprint, uppercase hex. */
  readonly fingerprint: string;
  /** Long key ID (the last 16 hex digits of the fingerprint). */
  readonly keyId: string;
  /** gpg's name of the primary key's algorithm: "ed25519", "rsa4096", "nistp256"... */
  readonly algorithm: string;
  /** User IDs, e.g. "debstash signing key <ops@example.org>". */
  readonly userIds: readonly string[];
  /** Creation time of the primary key, ISO 8601. */
  readonly created: string;
  /** Expiry of the primary key, ISO 8601, or null when it does not expire. */
  readonly expires: string | null;
  /** True when the secret key is protected by a passphrase. */
  readonly passphrase: boolean;
  /** True for the key that publishing uses when none is named. */
  readonly default: boolean;
}

const CURVE_NAMES: Partial<Record<string, string>> = {
  [enums.curve.ed25519Legacy]: 'ed25519',
  [enums.curve.curve25519Legacy]: 'cv25519',
  [enums.curve.nistP256]: 'nistp256',
  [enums.curve.nistP384]: 'nistp384',
  [enums.curve.nistP521]: 'nistp521',
  [enums.curve.brainpoolP256r1]: 'brainpoolP256r1',
  [enums.curve.brainpoolP384r1]: 'brainpoolP384r1',
  [enums.curve.brainpoolP512r1]: 'brainpoolP512r1',
  [enums.curve.secp256k1]: 'secp256k1',
};

/** The algorithm as gpg names it ("ed25519", "rsa4096"), and as `key generate` takes it. */
export function algorithmName(info: AlgorithmInfo): string {
  switch (info.algorithm) {
    case 'rsaEncryptSign':
    case 'rsaSign':
    case 'rsaEncrypt':
      return `rsa${info.bits ?? ''}`;
    case 'dsa':
      return `dsa${info.bits ?? ''}`;
    case 'eddsaLegacy':
    case 'ecdsa':
    case 'ecdh':
      return (info.curve !== undefined ? CURVE_NAMES[info.curve] : undefined) ?? `${info.algorithm}-${String(info.curve)}`;
    case 'ed25519':
      // RFC 9580's own Ed25519 (algorithm 27), not the EdDSA (22) that gpg calls ed25519.
      return 'ed25519-rfc9580';
    default:
      return String(info.algorithm);
  }
}

export async function describeKey(key: Key, isDefault: boolean): Promise<KeyInfo> {
  const fingerprint = key.getFingerprint().toUpperCase();
  const expires = await key.getExpirationTime().catch(() => null);
  return {
    fingerprint,
    keyId: key.getKeyID().toHex().toUpperCase(),
    algorithm: algorithmName(key.getAlgorithmInfo()),
    userIds: key.getUserIDs(),
    created: key.getCreationTime().toISOString(),
    expires: expires instanceof Date ? expires.toISOString() : null,
    passphrase: key.isPrivate() && !key.isDecrypted(),
    default: isDefault,
  };
}
