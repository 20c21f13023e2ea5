import { keyError } from '../keys/key-error.js';
import { readPassphraseFile, resolvePassphrase } from '../keys/passphrase.js';
import type { DebstashConfig } from './config-schema.js';

/**
 * The passphrase of the signing key: keys.passphrase_file, keys.passphrase_env, else what
 * `debstash key` reads (DEBSTASH_KEY_PASSPHRASE(_FILE)); never the passphrase itself in the file.
 */
export async function signingPassphrase(keys: DebstashConfig['keys'], env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (keys.passphrase_file !== undefined) return readPassphraseFile(keys.passphrase_file);
  if (keys.passphrase_env !== undefined) {
    const value = env[keys.passphrase_env];
    if (value === undefined || value === '') throw keyError('DEBSTASH_E_KEY_PASSPHRASE', `keys.passphrase_env: environment variable ${keys.passphrase_env} is not set`, { variable: keys.passphrase_env });
    return value;
  }
  return resolvePassphrase({ env });
}
