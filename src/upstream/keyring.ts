import { readFile } from 'node:fs/promises';
import { readKeys, type Key, type PublicKey } from 'openpgp';
import { DebstashError } from '../errors/debstash-error.js';

/** The public keys a mirror trusts to sign its upstream's Release. */
export interface Keyring {
  readonly keys: readonly PublicKey[];
  /** The files (or descriptions) the keys were read from, for messages. */
  readonly sources: readonly string[];
}

const ARMOR_BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;
const KEYBOX_MAGIC = 'KBXf';
const KEYBOX_OPENPGP_BLOB = 2;

function invalid(source: string, what: string, cause?: unknown): DebstashError {
  return new DebstashError('DEBSTASH_E_KEYRING_INVALID', `${source}: ${what}`, { source }, cause === undefined ? undefined : { cause });
}

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** OpenPGP packet tag of the first packet, old or new format; undefined if not a packet header. */
function firstPacketTag(bytes: Uint8Array): number | undefined {
  const b = bytes[0];
  if (b === undefined || (b & 0x80) === 0) return undefined;
  return (b & 0x40) !== 0 ? b & 0x3f : (b >> 2) & 0x0f;
}

function isKeybox(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && bytes[4] === 1 && Buffer.from(bytes.subarray(8, 12)).toString('latin1') === KEYBOX_MAGIC;
}

/**
 * The OpenPGP keyblocks of a GnuPG keybox (pubring.kbx), concatenated: every blob is
 * `u32 length, u8 type, u8 version, u16 flags, u32 offset, u32 length` (big-endian), and type 2
 * blobs hold one transferable public key at [offset, offset + length) of the blob.
 */
function keyboxKeyblocks(bytes: Uint8Array, source: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 5 > bytes.length) throw invalid(source, `keybox is truncated at byte ${pos}`);
    const length = view.getUint32(pos);
    if (length < 5 || pos + length > bytes.length) throw invalid(source, `keybox blob at byte ${pos} has a bad length ${length}`);
    if (bytes[pos + 4] === KEYBOX_OPENPGP_BLOB) {
      if (length < 16) throw invalid(source, `keybox blob at byte ${pos} is too short`);
      const offset = view.getUint32(pos + 8);
      const size = view.getUint32(pos + 12);
      if (offset + size > length) throw invalid(source, `keybox blob at byte ${pos} points outside itself`);
      blocks.push(bytes.subarray(pos + offset, pos + offset + size));
    }
    pos += length;
  }
  return Buffer.concat(blocks);
}

async function readBinary(bytes: Uint8Array, source: string): Promise<Key[]> {
  try {
    return await readKeys({ binaryKeys: bytes });
  } catch (err) {
    throw invalid(source, `not a valid OpenPGP keyring (${why(err)})`, err);
  }
}

/**
 * The public keys in one keyring file's bytes: binary OpenPGP keys one after another (what
 * `gpg --export` and /usr/share/keyrings/*.gpg are), armored blocks (.asc; text around and
 * between blocks is ignored, several blocks are read in turn, as apt does), or a GnuPG keybox
 * (.kbx, what gpg keeps in ~/.gnupg/pubring.kbx; apt does not read those, gpgv does).
 * The format is told from the content, not the file name.
 */
export async function parseKeyring(bytes: Uint8Array, source: string): Promise<PublicKey[]> {
  if (bytes.length === 0) throw invalid(source, 'is empty');
  let keys: Key[] = [];
  const tag = firstPacketTag(bytes);
  if (isKeybox(bytes)) {
    const blocks = keyboxKeyblocks(bytes, source);
    if (blocks.length === 0) throw invalid(source, 'keybox holds no OpenPGP keys');
    keys = await readBinary(blocks, source);
  } else if (tag === 6) {
    keys = await readBinary(bytes, source);
  } else if (tag === 5) {
    throw invalid(source, 'is a secret key; give the public key (gpg --export) instead');
  } else {
    const text = Buffer.from(bytes).toString('latin1');
    const blocks = text.match(ARMOR_BLOCK);
    if (blocks === null) {
      const hint = text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----') ? ' (it holds a private key)' : '';
      throw invalid(source, `is neither a binary OpenPGP keyring, an armored public key block nor a GnuPG keybox${hint}`);
    }
    for (const [i, block] of blocks.entries()) {
      try {
        keys.push(...(await readKeys({ armoredKeys: block })));
      } catch (err) {
        throw invalid(source, `armored key block ${i + 1} is not valid (${why(err)})`, err);
      }
    }
  }
  if (keys.length === 0) throw invalid(source, 'holds no OpenPGP public key');
  return keys.map((k) => (k.isPrivate() ? k.toPublic() : (k as PublicKey)));
}

/** Reads and merges keyring files; an unreadable or invalid one is DEBSTASH_E_KEYRING_INVALID naming it. */
export async function loadKeyring(paths: string | readonly string[]): Promise<Keyring> {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (list.length === 0) throw new DebstashError('DEBSTASH_E_KEYRING_INVALID', 'no keyring given', {});
  const keys: PublicKey[] = [];
  for (const path of list) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? why(err);
      throw new DebstashError('DEBSTASH_E_KEYRING_INVALID', `${path}: cannot read the keyring (${code})`, { source: path, errno: code }, { cause: err });
    }
    keys.push(...(await parseKeyring(bytes, path)));
  }
  return { keys, sources: [...list] };
}

/** A keyring from keys already parsed, e.g. an armored key embedded in a Signed-By field. */
export function keyringOf(keys: readonly PublicKey[], source: string): Keyring {
  return { keys: [...keys], sources: [source] };
}
