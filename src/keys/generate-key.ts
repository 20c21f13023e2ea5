import { encryptKey, enums, generateKey as generateOpenPgpKey, type PartialConfig } from 'openpgp';
import { DebstashError } from '../errors/debstash-error.js';
import type { Store } from '../store/store.js';
import type { KeyInfo } from './key-info.js';
import { checkSigningKey } from './key-policy.js';
import { storeKey } from './key-store.js';
import { probeSigning } from './probe-key.js';

export type KeyAlgorithm = 'ed25519' | 'rsa4096';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ed25519', 'rsa4096'];
export const DEFAULT_KEY_NAME = 'debstash signing key';

export interface GenerateKeyOptions {
  /** Name in the user ID; default "debstash signing key". */
  readonly name?: string;
  readonly email?: string;
  /** Default ed25519 (gpg's: EdDSA on Ed25519); rsa4096 for clients that want RSA. */
  readonly algorithm?: KeyAlgorithm;
  /** Encrypts the stored secret key; then opening it needs the same passphrase. */
  readonly passphrase?: string;
}

/**
 * What GnuPG 2.2 (and so apt's gpgv on Debian 12 and anyone exporting the key to gpg) reads:
 * version 4 keys, the secret key protected by iterated+salted S2K with CFB, not AEAD or Argon2.
 * importKey encrypts with it too.
 */
export const KEY_CONFIG: PartialConfig = {
  v6Keys: false,
  aeadProtect: false,
  s2kType: enums.s2k.iterated,
  preferredHashAlgorithm: enums.hash.sha512,
};

const EMAIL = /^[^\s<>()@]+@[^\s<>()@]+$/;

function usage(message: string, details: Record<string, string> = {}): DebstashError {
  return new DebstashError('DEBSTASH_E_USAGE', message, details);
}

/**
 * Makes a signing key (a primary key that signs, no subkeys, no expiry) and adds it to the
 * key store; the first key becomes the default.
 */
export async function generateKey(store: Store, options: GenerateKeyOptions = {}): Promise<KeyInfo> {
  const name = options.name ?? DEFAULT_KEY_NAME;
  const algorithm = options.algorithm ?? 'ed25519';
  if (name.trim() === '' || /[<>\p{Cc}]/u.test(name)) throw usage(`invalid key name ${JSON.stringify(name)}: no "<", ">" or control characters`, { name });
  if (options.email !== undefined && !EMAIL.test(options.email)) throw usage(`invalid email address ${JSON.stringify(options.email)}`, { email: options.email });
  if (!KEY_ALGORITHMS.includes(algorithm)) throw usage(`unknown key algorithm ${JSON.stringify(algorithm)}: use ${KEY_ALGORITHMS.join(' or ')}`, { algorithm });
  if (options.passphrase === '') throw usage('the passphrase is empty; give none to leave the key unprotected');

  const common = {
    userIDs: [{ name, ...(options.email !== undefined ? { email: options.email } : {}) }],
    subkeys: [],
    format: 'object' as const,
    config: KEY_CONFIG,
  };
  const { privateKey } =
    algorithm === 'rsa4096'
      ? await generateOpenPgpKey({ ...common, type: 'rsa', rsaBits: 4096 })
      : await generateOpenPgpKey({ ...common, type: 'ecc', curve: 'ed25519Legacy' });
  // The unencrypted key is checked, then the one written is encrypted when asked.
  await checkSigningKey(privateKey);
  await probeSigning(privateKey);
  const stored = options.passphrase === undefined ? privateKey : await encryptKey({ privateKey, passphrase: options.passphrase, config: KEY_CONFIG });
  return storeKey(store, stored);
}
