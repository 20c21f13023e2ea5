import type { Store } from '../store/store.js';
import { generateKey, type GenerateKeyOptions } from './generate-key.js';
import type { KeyInfo } from './key-info.js';
import { describeKey } from './key-info.js';
import { readStoredKey, resolveKey, storedFingerprints } from './key-store.js';

/**
 * The default signing key, generated first if the store has no key at all: what `debstash up`
 * needs on its first run. Two processes doing this at once may each make a key; one of them
 * becomes the default and both return that one. With keys but no usable default it is
 * DEBSTASH_E_KEY_NOT_FOUND, as for openSigner: a key is never made behind the user's back then.
 */
export async function ensureSigningKey(store: Store, options: GenerateKeyOptions = {}): Promise<KeyInfo> {
  if ((await storedFingerprints(store)).length === 0) await generateKey(store, options);
  const fingerprint = await resolveKey(store);
  return describeKey(await readStoredKey(store, fingerprint), true);
}
