/**
 * What publishing needs from a signing key. The key store (src/keys) makes one from a key in
 * the data dir; tests may make one from a throwaway key.
 */
export interface Signer {
  /** Primary key fingerprint, uppercase hex. */
  readonly fingerprint: string;
  /** The public key, armored: what clients put in `Signed-By` and what /key.asc serves. */
  readonly publicKeyArmored: string;
  /** `text` as an OpenPGP clearsigned message (InRelease), SHA-512 digest. */
  clearsign(text: string): Promise<string>;
  /** An armored detached signature of `text` (Release.gpg), SHA-512 digest. */
  detachSign(text: string): Promise<string>;
}
