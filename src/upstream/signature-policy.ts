import { enums, type AlgorithmInfo } from 'openpgp';

/**
 * Which signature digests count, as apt's gpgv method decides (its Digests table): SHA-224/256/
 * 384/512 are trusted; MD5, SHA-1, RIPEMD-160 are "untrusted", and so is every digest apt 2.6
 * has no name for (SHA3 included). apt 2.6 refuses a SHA-1 signed InRelease; measured.
 * Returns the reason a digest is refused, or undefined when it is accepted.
 */
export function digestRefusal(hashAlgorithm: number | null): string | undefined {
  switch (hashAlgorithm) {
    case enums.hash.sha224:
    case enums.hash.sha256:
    case enums.hash.sha384:
    case enums.hash.sha512:
      return undefined;
    default:
      return `untrusted digest algorithm ${digestName(hashAlgorithm)}`;
  }
}

function digestName(hashAlgorithm: number | null): string {
  if (hashAlgorithm === null) return 'unknown';
  const names: Record<number, string> = {
    [enums.hash.md5]: 'MD5',
    [enums.hash.sha1]: 'SHA1',
    [enums.hash.ripemd]: 'RIPEMD160',
    [enums.hash.sha3_256]: 'SHA3-256',
    [enums.hash.sha3_512]: 'SHA3-512',
  };
  return names[hashAlgorithm] ?? `#${hashAlgorithm}`;
}

const MIN_RSA_BITS = 2048;

/**
 * Which signing keys count: apt ≥ 2.7's APT::Key::Assert-Pubkey-Algo default,
 * ">=rsa2048,ed25519,ed448,nistp256,nistp384,nistp512,brainpoolP256r1,...,secp256k1".
 * apt 2.6 has no such check (it takes RSA-1024 and DSA), so this is stricter than the apt
 * of Debian 12 and the same as the apt that will read what we publish. "nistp512" is not a
 * curve gpg names (P-521 is "nistp521"), so apt refuses P-521 keys; we mirror that, since a
 * verdict that differs from apt's is worse than a strange one.
 * Returns the reason a key is refused, or undefined when it is accepted.
 */
export function keyRefusal(info: AlgorithmInfo): string | undefined {
  const name = String(info.algorithm);
  switch (info.algorithm) {
    case 'rsaEncryptSign':
    case 'rsaSign':
      if (info.bits === undefined || info.bits < MIN_RSA_BITS) return `weak public key: RSA ${info.bits ?? '?'} bits (at least ${MIN_RSA_BITS} needed)`;
      return undefined;
    case 'ed25519':
    case 'ed448':
      return undefined;
    case 'eddsaLegacy':
      return info.curve === enums.curve.ed25519Legacy ? undefined : `untrusted public key algorithm: EdDSA on ${String(info.curve)}`;
    case 'ecdsa':
      switch (info.curve) {
        case enums.curve.nistP256:
        case enums.curve.nistP384:
        case enums.curve.brainpoolP256r1:
        case enums.curve.brainpoolP384r1:
        case enums.curve.brainpoolP512r1:
        case enums.curve.secp256k1:
          return undefined;
        default:
          return `untrusted public key algorithm: ECDSA on ${String(info.curve)}`;
      }
    default:
      return `untrusted public key algorithm: ${name}`;
  }
}
