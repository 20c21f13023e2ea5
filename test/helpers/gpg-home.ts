/**
 * Throwaway GnuPG home for tests: makes real keys and signatures with `gpg`, and checks them
 * with real `gpgv`, so that our verdicts can be compared with GnuPG's. close() stops the
 * gpg-agent that signing starts and removes the directory.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GpgOptions {
  /** gpg's --faked-system-time, e.g. "20200101T000000", to make keys that are expired now. */
  fakedTime?: string;
}

export class GpgHome {
  readonly dir: string;
  #files = 0;
  // gpg does not lock pubring.kbx well enough for parallel key generation in one home.
  #keygen: Promise<unknown> = Promise.resolve();

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<GpgHome> {
    const dir = await mkdtemp(join(tmpdir(), 'debstash-gpg-'));
    await chmod(dir, 0o700);
    return new GpgHome(dir);
  }

  async gpg(args: readonly string[], options: GpgOptions & { input?: string } = {}): Promise<Buffer> {
    const base = ['--batch', '--no-tty', '--quiet', '--homedir', this.dir, '--pinentry-mode', 'loopback', '--passphrase', ''];
    if (options.fakedTime !== undefined) base.push('--faked-system-time', options.fakedTime, '--ignore-time-conflict');
    const { stdout } = await run('gpg', [...base, ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  /** Makes a signing key; returns its fingerprint (uppercase hex). Calls may overlap; they run one by one. */
  generateKey(uid: string, algo: 'rsa4096' | 'rsa2048' | 'rsa1024' | 'ed25519' | 'nistp521', options: GpgOptions & { expire?: string } = {}): Promise<string> {
    const run = this.#keygen.then(() => this.#generateKey(uid, algo, options));
    this.#keygen = run.catch(() => undefined);
    return run;
  }

  async #generateKey(uid: string, algo: string, options: GpgOptions & { expire?: string }): Promise<string> {
    await this.gpg(['--quick-gen-key', uid, algo, 'sign', options.expire ?? 'never'], options);
    const out = (await this.gpg(['--with-colons', '--list-keys', uid])).toString('utf8');
    const fpr = /^fpr:+([0-9A-F]{40,64}):/m.exec(out);
    if (fpr === null) throw new Error(`no fingerprint for ${uid}:\n${out}`);
    return fpr[1];
  }

  /** The public keys, binary (like /usr/share/keyrings/*.gpg) or armored (.asc). */
  async exportKeys(fingerprints: readonly string[], armor = false): Promise<Buffer> {
    return this.gpg([...(armor ? ['--armor'] : []), '--export', ...fingerprints]);
  }

  async exportSecretKey(fingerprint: string): Promise<Buffer> {
    return this.gpg(['--export-secret-keys', fingerprint]);
  }

  async #input(data: string | Uint8Array): Promise<string> {
    const path = join(this.dir, `in-${++this.#files}`);
    await writeFile(path, data);
    return path;
  }

  /** A clearsigned message, as `gpg --clearsign` writes an InRelease. */
  async clearsign(data: string | Uint8Array, signers: readonly string[], options: GpgOptions & { digest?: string } = {}): Promise<Buffer> {
    const path = await this.#input(data);
    const users = signers.flatMap((s) => ['--local-user', `${s}!`]);
    const digest = options.digest === undefined ? [] : ['--digest-algo', options.digest];
    return this.gpg([...users, ...digest, '--output', '-', '--clearsign', path], options);
  }

  /** An armored detached signature, as `gpg --armor --detach-sign` writes a Release.gpg. */
  async detachSign(data: string | Uint8Array, signers: readonly string[], options: GpgOptions & { digest?: string } = {}): Promise<Buffer> {
    const path = await this.#input(data);
    const users = signers.flatMap((s) => ['--local-user', `${s}!`]);
    const digest = options.digest === undefined ? [] : ['--digest-algo', options.digest];
    return this.gpg([...users, ...digest, '--armor', '--output', '-', '--detach-sign', path], options);
  }

  async close(): Promise<void> {
    await run('gpgconf', ['--homedir', this.dir, '--kill', 'gpg-agent']).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface GpgvResult {
  /** gpgv's exit status was 0. */
  readonly ok: boolean;
  /** The --status-fd lines ("[GNUPG:] GOODSIG ..."). */
  readonly status: string;
}

/**
 * Runs gpgv as apt 2.6 does (--ignore-time-conflict), with a binary keyring file, on a
 * clearsigned file or on a detached signature and its data.
 */
export async function gpgv(keyring: string, signatureFile: string, dataFile?: string): Promise<GpgvResult> {
  const args = ['--ignore-time-conflict', '--status-fd', '1', '--keyring', keyring, signatureFile, ...(dataFile === undefined ? [] : [dataFile])];
  try {
    const { stdout } = await run('gpgv', args, { encoding: 'utf8' });
    return { ok: true, status: stdout };
  } catch (err) {
    return { ok: false, status: String((err as { stdout?: unknown }).stdout ?? '') };
  }
}
