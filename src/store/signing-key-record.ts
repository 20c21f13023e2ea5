/**
 * A signing key as the store keeps it, so every process on the store (replicas on other hosts
 * included) signs with the same key. The secret key is stored as it was handed in: armored, and
 * still encrypted when it has a passphrase (the store never sees it decrypted).
 */
export interface SigningKeyRecord {
  /** Primary key fingerprint, uppercase hex. */
  readonly fingerprint: string;
  /** The armored secret key, encrypted at rest when it has a passphrase. */
  readonly secretArmored: string;
  readonly publicArmored: string;
  /** gpg's name of the algorithm ("ed25519", "rsa4096"), for people reading the table. */
  readonly algorithm: string;
  /** The primary user ID. */
  readonly userId: string;
  /** Creation time of the key, ISO 8601. */
  readonly createdAt: string;
}
