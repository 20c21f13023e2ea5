import { createMessage, enums, readSignature, sign, type Message, type PartialConfig, type PrivateKey } from 'openpgp';
import type { Signer } from '../publish/signer.js';
import { digestRefusal } from '../upstream/signature-policy.js';
import { ALGORITHMS_DECIDED_HERE } from './key-policy.js';
import { keyError } from './key-error.js';

/**
 * openpgp takes the digest from this setting when the key's preferences list it (every key
 * gpg, Sequoia or openpgp made in the last 15 years does); otherwise from the key's
 * strongest preferred one. Either way the result is checked against apt's digest rules.
 */
const SIGN_CONFIG: PartialConfig = { ...ALGORITHMS_DECIDED_HERE, preferredHashAlgorithm: enums.hash.sha512 };

const BEGIN_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';

function hashName(algorithm: number | null): string {
  return algorithm === null ? 'unknown' : enums.read(enums.hash, algorithm).toUpperCase();
}

/**
 * The lines of a text to clearsign, as a verifier will see them: split at "\n" (a final
 * newline ends the last line, it does not start an empty one), trailing blanks removed
 * (RFC 4880 §7.1 leaves them out of the signature, and apt drops them). A carriage return
 * would be read differently by different tools, so there must be none.
 */
function cleartextLines(text: string): string[] {
  if (text.includes('\r')) throw new TypeError('clearsign: the text must not contain carriage returns');
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.replace(/[ \t]+$/, ''));
}

/** A Signer that signs with `key`, whose signing part must be unlocked (see openSigner). */
export class KeySigner implements Signer {
  readonly fingerprint: string;
  readonly publicKeyArmored: string;
  readonly #key: PrivateKey;

  constructor(key: PrivateKey) {
    this.#key = key;
    this.fingerprint = key.getFingerprint().toUpperCase();
    this.publicKeyArmored = key.toPublic().armor();
  }

  /** An armored detached signature, and the name of its digest; a digest apt refuses is an error. */
  async #sign(message: Message<string> | Message<Uint8Array>): Promise<{ armored: string; hash: string }> {
    const armored = await sign({ message, signingKeys: this.#key, detached: true, config: SIGN_CONFIG });
    // Read back what is written: the digest openpgp picked is not part of its result.
    const hashes = (await readSignature({ armoredSignature: armored })).packets.map((p) => p.hashAlgorithm);
    for (const h of hashes) {
      const refusal = digestRefusal(h);
      if (refusal !== undefined) {
        throw keyError('DEBSTASH_E_KEY_REFUSED', `key ${this.fingerprint} made a signature apt would refuse: ${refusal}`, { fingerprint: this.fingerprint });
      }
    }
    return { armored, hash: [...new Set(hashes.map(hashName))].join(',') };
  }

  /**
   * The cleartext signature framework written by hand around a text-mode signature (what a
   * cleartext signature is), so that the file has "\n" line endings and no extra blank line
   * before the signature, as gpg writes an InRelease; openpgp's own framing writes CRLF.
   */
  async clearsign(text: string): Promise<string> {
    const lines = cleartextLines(text);
    const { armored, hash } = await this.#sign(await createMessage({ text: lines.join('\n') }));
    const body = lines.map((l) => (l.startsWith('-') ? `- ${l}` : l)).join('\n');
    return `${BEGIN_SIGNED}\nHash: ${hash}\n\n${body}\n${armored}`;
  }

  /** Signs the UTF-8 bytes of `text` exactly (a binary signature), as Release.gpg must. */
  async detachSign(text: string): Promise<string> {
    return (await this.#sign(await createMessage({ binary: Buffer.from(text, 'utf8') }))).armored;
  }
}
