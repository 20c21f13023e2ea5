/**
 * A throwaway OpenPGP signing key for publishing tests, made with openpgp (Ed25519, v4 key as
 * GnuPG 2.2 reads it), as a Signer; and its public key as files for apt's Signed-By and gpgv.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { createMessage, enums, generateKey, readPrivateKey, sign, type PartialConfig, type PrivateKey } from 'openpgp';
import type { Signer } from '../../src/publish/signer.js';

const CONFIG: PartialConfig = { v6Keys: false, preferredHashAlgorithm: enums.hash.sha512 };

export interface TestSigner extends Signer {
  /** The public key as a binary keyring (for gpgv --keyring, sqv, Signed-By). */
  readonly keyring: string;
  /** The public key armored, in a `.asc` file (Signed-By takes it too). */
  readonly armoredFile: string;
  /** The secret key armored (unprotected), for signerFromKeyFile in another process. */
  readonly secretKeyFile: string;
}

class OpenpgpSigner implements Signer {
  constructor(
    readonly fingerprint: string,
    readonly publicKeyArmored: string,
    private readonly key: PrivateKey,
  ) {}

  async clearsign(text: string): Promise<string> {
    // The cleartext framework by hand (gpg's layout: LF line ends, no blank line before the
    // signature); the signature is a text-mode signature of the lines without the last newline.
    const lines = text.replace(/\n$/, '').split('\n').map((l) => l.replace(/[ \t]+$/, ''));
    const signature = await sign({ message: await createMessage({ text: lines.join('\n') }), signingKeys: this.key, detached: true, config: CONFIG });
    const body = lines.map((l) => (l.startsWith('-') ? `- ${l}` : l)).join('\n');
    return `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${body}\n${signature}`;
  }

  async detachSign(text: string): Promise<string> {
    return sign({ message: await createMessage({ binary: Buffer.from(text, 'utf8') }), signingKeys: this.key, detached: true, config: CONFIG });
  }
}

/** Makes a key and writes `dir/NAME.gpg`, `dir/NAME.asc` and `dir/NAME.key` (the secret key). */
export async function makeTestSigner(dir: string, name = 'debstash-test'): Promise<TestSigner> {
  const { privateKey, publicKey } = await generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: `Debstash Test ${name}`, email: `${name}@debstash.invalid` }],
    format: 'object',
    config: CONFIG,
  });
  await mkdir(dir, { recursive: true });
  const keyring = join(dir, `${name}.gpg`);
  const armoredFile = join(dir, `${name}.asc`);
  const secretKeyFile = join(dir, `${name}.key`);
  await writeFile(keyring, publicKey.write());
  await writeFile(armoredFile, publicKey.armor());
  await writeFile(secretKeyFile, privateKey.armor(), { mode: 0o600 });
  const signer = new OpenpgpSigner(privateKey.getFingerprint().toUpperCase(), publicKey.armor(), privateKey);
  return Object.assign(signer, { keyring, armoredFile, secretKeyFile }) as TestSigner;
}

/** A signer with the secret key makeTestSigner wrote (e.g. in a child process). */
export async function signerFromKeyFile(secretKeyFile: string): Promise<Signer> {
  const key = await readPrivateKey({ armoredKey: await readFile(secretKeyFile, 'utf8') });
  return new OpenpgpSigner(key.getFingerprint().toUpperCase(), key.toPublic().armor(), key);
}

/** A signer that waits `delayMs` (after calling `onSign`) before each signature: to crash a publish mid-way. */
export function slowSigner(inner: Signer, delayMs: number, onSign?: () => void): Signer {
  const wait = async (): Promise<void> => {
    onSign?.();
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  };
  return {
    fingerprint: inner.fingerprint,
    publicKeyArmored: inner.publicKeyArmored,
    clearsign: async (text) => {
      await wait();
      return inner.clearsign(text);
    },
    detachSign: async (text) => {
      await wait();
      return inner.detachSign(text);
    },
  };
}
