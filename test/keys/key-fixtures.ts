/**
 * Shared by the key tests: temporary data dirs and their stores, a matcher for the key store's error codes, and
 * the check that what a Signer makes verifies with gpgv (as apt on Debian 12 runs it), with sqv
 * (as newer apt runs it) when it is installed, and with our own apt-strict verifier.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readKey } from 'openpgp';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import type { KeyErrorCode } from '../../src/keys/key-error.js';
import type { Signer } from '../../src/publish/signer.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { keyringOf } from '../../src/upstream/keyring.js';
import { verifyDetachedRelease, verifyInRelease } from '../../src/upstream/verify-release.js';
import { gpgv } from '../helpers/gpg-home.js';

const run = promisify(execFile);

const stores = new Map<string, Promise<Store>>();

/** The store of `dataDir` (as the CLI opens it), opened once per test process; tempDir's close closes it. */
export function keyStore(dataDir: string): Promise<Store> {
  let store = stores.get(dataDir);
  if (store === undefined) {
    store = mkdir(dataDir, { recursive: true }).then(() => openStore({ dataDir }));
    stores.set(dataDir, store);
  }
  return store;
}

async function closeStoresUnder(dir: string): Promise<void> {
  for (const [dataDir, store] of [...stores]) {
    if (!dataDir.startsWith(`${dir}/`)) continue;
    stores.delete(dataDir);
    await (await store).close();
  }
}

export async function tempDir(prefix = 'debstash-keys-'): Promise<{ dir: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    close: async () => {
      await closeStoresUnder(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A DebstashError with the key store's `code` (and a message matching `pattern`). */
export function isKeyCode(code: KeyErrorCode, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown): boolean => e instanceof DebstashError && e.code === code && (pattern === undefined || pattern.test(e.message));
}

/** The path of sqv when it is installed (Debian package "sqv"), else undefined. */
export const sqvPath: Promise<string | undefined> = run('sqv', ['--version']).then(
  () => 'sqv',
  () => undefined,
);

export async function sqv(keyring: string, signatureFile: string, dataFile: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('sqv', ['--keyring', keyring, signatureFile, dataFile]);
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The armored public key as a binary keyring file (what `gpg --dearmor` makes), for gpgv and sqv. */
export async function writeKeyring(armored: string, path: string): Promise<string> {
  await writeFile(path, (await readKey({ armoredKey: armored })).write());
  return path;
}

/**
 * gpgv's VALIDSIG status line: signing-key-fpr date timestamp expiry version reserved
 * pubkey-algo hash-algo class primary-fpr. Hash 10 is SHA-512; class 00 binary, 01 text.
 */
function validsig(signatureClass: '00' | '01', primary: string): RegExp {
  return new RegExp(`^\\[GNUPG:\\] VALIDSIG [0-9A-F]{40} \\S+ \\d+ \\d+ 4 0 \\d+ 10 ${signatureClass} ${primary}$`, 'm');
}

export interface SignedFiles {
  readonly keyring: string;
  readonly inRelease: string;
  readonly release: string;
  readonly releaseGpg: string;
}

/** Signs `text` both ways with `signer` and writes InRelease, Release, Release.gpg and a keyring into `dir`. */
export async function signInto(signer: Signer, text: string, dir: string): Promise<SignedFiles> {
  const files = {
    keyring: join(dir, 'key.gpg'),
    inRelease: join(dir, 'InRelease'),
    release: join(dir, 'Release'),
    releaseGpg: join(dir, 'Release.gpg'),
  };
  await writeKeyring(signer.publicKeyArmored, files.keyring);
  await writeFile(files.inRelease, await signer.clearsign(text));
  await writeFile(files.release, text);
  await writeFile(files.releaseGpg, await signer.detachSign(text));
  return files;
}

/**
 * Asserts that gpgv, sqv (if installed; for InRelease it is given the text and signature split
 * out as apt ≥ 2.9 does before it calls sqv) and verify-release all accept both signatures by
 * `signer` of `text`, made by the signer's key, with a SHA-512 digest.
 */
export async function assertVerifiesEverywhere(signer: Signer, text: string, dir: string): Promise<void> {
  const f = await signInto(signer, text, dir);

  const clear = await gpgv(f.keyring, f.inRelease);
  assert.ok(clear.ok, `gpgv InRelease:\n${clear.status}`);
  assert.match(clear.status, validsig('01', signer.fingerprint));
  const detached = await gpgv(f.keyring, f.releaseGpg, f.release);
  assert.ok(detached.ok, `gpgv Release.gpg:\n${detached.status}`);
  assert.match(detached.status, validsig('00', signer.fingerprint));

  const keyring = keyringOf([await readKey({ armoredKey: signer.publicKeyArmored })], 'signer');
  const inRelease = await verifyInRelease(await signer.clearsign(text), keyring);
  assert.equal(inRelease.fingerprint, signer.fingerprint);
  // apt's view of a clearsigned text: no newline after the last line.
  assert.equal(inRelease.text, text.replace(/\n$/, ''));
  const release = await verifyDetachedRelease(Buffer.from(text, 'utf8'), await signer.detachSign(text), keyring);
  assert.equal(release.fingerprint, signer.fingerprint);

  if ((await sqvPath) !== undefined) {
    const d = await sqv(f.keyring, f.releaseGpg, f.release);
    assert.ok(d.ok, `sqv Release.gpg: ${d.output}`);
    const parts = splitClearsigned(await signer.clearsign(text), 'InRelease');
    await writeFile(join(dir, 'InRelease.text'), parts.signed);
    await writeFile(join(dir, 'InRelease.sig'), parts.signatures.join('\n'));
    const c = await sqv(f.keyring, join(dir, 'InRelease.sig'), join(dir, 'InRelease.text'));
    assert.ok(c.ok, `sqv InRelease (split): ${c.output}`);
  }
}
