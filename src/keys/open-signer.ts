import type { Signer } from '../publish/signer.js';
import type { StoreReader } from '../store/store.js';
import { checkSigningKey } from './key-policy.js';
import { KeySigner } from './key-signer.js';
import { readStoredKey, resolveKey } from './key-store.js';
import { unlockKey } from './unlock-key.js';

export interface OpenSignerOptions {
  /** Fingerprint or key ID; default: the default key of the store. */
  readonly fingerprint?: string;
  /** For a key protected by a passphrase (see resolvePassphrase); never prompted for. */
  readonly passphrase?: string;
  /** When the key must be able to sign; default now. */
  readonly now?: Date;
}

/**
 * A Signer for a key of the store, unlocked and checked before anything is signed,
 * so that a publish fails before it writes anything: DEBSTASH_E_KEY_NOT_FOUND (no such key,
 * or no default), DEBSTASH_E_KEY_PASSPHRASE (locked and no or a wrong passphrase),
 * DEBSTASH_E_KEY_REFUSED (expired, revoked, or otherwise a key apt would refuse).
 */
export async function openSigner(store: StoreReader, options: OpenSignerOptions = {}): Promise<Signer> {
  const fingerprint = await resolveKey(store, options.fingerprint);
  const key = await readStoredKey(store, fingerprint);
  await checkSigningKey(key, options.now);
  return new KeySigner(await unlockKey(key, options.passphrase));
}
