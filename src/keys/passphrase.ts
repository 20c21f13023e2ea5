import { open } from 'node:fs/promises';
import { keyError, why } from './key-error.js';

/** The environment variable that holds a key passphrase. */
export const PASSPHRASE_ENV = 'DEBSTASH_KEY_PASSPHRASE';
/** The environment variable that names a file holding a key passphrase. */
export const PASSPHRASE_FILE_ENV = 'DEBSTASH_KEY_PASSPHRASE_FILE';

/** A passphrase file larger than this is not one (a wrong path, most likely). */
const MAX_FILE_BYTES = 64 * 1024;

export interface PassphraseSources {
  /** `--passphrase-file FILE`: wins over the environment. */
  readonly file?: string;
  /** Where DEBSTASH_KEY_PASSPHRASE(_FILE) are read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reads a passphrase file: its content with one trailing newline ("\n" or "\r\n") removed.
 * An empty, unreadable or oversized file is DEBSTASH_E_KEY_PASSPHRASE.
 */
export async function readPassphraseFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, 0);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? why(err);
    throw keyError('DEBSTASH_E_KEY_PASSPHRASE', `cannot read the passphrase file ${path} (${code})`, { path, errno: code }, err);
  }
  if (bytes.length > MAX_FILE_BYTES) {
    throw keyError('DEBSTASH_E_KEY_PASSPHRASE', `the passphrase file ${path} is larger than ${MAX_FILE_BYTES} bytes; it is probably not a passphrase file`, { path });
  }
  const passphrase = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (passphrase === '') throw keyError('DEBSTASH_E_KEY_PASSPHRASE', `the passphrase file ${path} is empty`, { path });
  return passphrase;
}

/**
 * The passphrase for a signing key: from the file given (`--passphrase-file`), else from
 * DEBSTASH_KEY_PASSPHRASE_FILE or DEBSTASH_KEY_PASSPHRASE (setting both is an error, as it is
 * unclear which one was meant), else undefined. Never from the command line, never prompted.
 * An empty DEBSTASH_KEY_PASSPHRASE counts as unset.
 */
export async function resolvePassphrase(sources: PassphraseSources = {}): Promise<string | undefined> {
  if (sources.file !== undefined) return readPassphraseFile(sources.file);
  const env = sources.env ?? process.env;
  const value = env[PASSPHRASE_ENV];
  const file = env[PASSPHRASE_FILE_ENV];
  const hasValue = value !== undefined && value !== '';
  const hasFile = file !== undefined && file !== '';
  if (hasValue && hasFile) {
    throw keyError('DEBSTASH_E_KEY_PASSPHRASE', `both ${PASSPHRASE_ENV} and ${PASSPHRASE_FILE_ENV} are set; set only one`, {});
  }
  if (hasFile) return readPassphraseFile(file);
  return hasValue ? value : undefined;
}
