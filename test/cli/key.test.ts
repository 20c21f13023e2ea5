import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ERROR_CODES, type ErrorCode } from '../../src/errors/codes.js';
import type { KeyErrorCode } from '../../src/keys/key-error.js';
import type { KeyInfo } from '../../src/keys/key-info.js';
import { openSigner } from '../../src/keys/open-signer.js';
import { GpgHome, gpgv } from '../helpers/gpg-home.js';
import { projectRoot } from '../helpers/project-root.js';
import { tempDir, writeKeyring, keyStore } from '../keys/key-fixtures.js';

const bin = join(projectRoot, 'bin/debstash.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(dataDir: string, args: readonly string[], options: { env?: Record<string, string>; input?: Buffer } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DEBSTASH_DATA_DIR: dataDir, ...options.env };
  // Hermetic: a passphrase in the caller's environment must not leak into these runs.
  for (const name of ['DEBSTASH_KEY_PASSPHRASE', 'DEBSTASH_KEY_PASSPHRASE_FILE']) if (options.env?.[name] === undefined) delete env[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input);
  });
}

/** A --json run that failed with the key store's `code` and that code's exit status. */
function assertKeyError(r: Run, code: KeyErrorCode, message?: RegExp): void {
  const doc = JSON.parse(r.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } };
  assert.equal(doc.error.code, code, r.stdout);
  assert.equal(r.status, ERROR_CODES[code].exit);
  if (message) assert.match(doc.error.message, message);
}

describe('debstash key (CLI)', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  let home: GpgHome;
  before(async () => {
    tmp = await tempDir('debstash-key-cli-');
    home = await GpgHome.create();
  });
  after(async () => {
    await home.close();
    await tmp.close();
  });

  test('generate, list --json, export, default: a round trip whose exported key verifies what the store signs', async () => {
    const dataDir = join(tmp.dir, 'round-trip');
    const made = await cli(dataDir, ['key', 'generate', '--email', 'ops@example.org']);
    assert.equal(made.status, 0, made.stderr);
    const fpr = /generated key ([0-9A-F]{40}) \(ed25519, "debstash signing key <ops@example\.org>"\)/.exec(made.stdout)?.[1];
    assert.ok(fpr, made.stdout);
    assert.match(made.stdout, /it is the default signing key/);

    const pass = join(tmp.dir, 'pass');
    await writeFile(pass, 'cli secret\n');
    const rsa = await cli(dataDir, ['--json', 'key', 'generate', '--rsa', '--name', 'Fleet Repo', '--passphrase-file', pass]);
    assert.equal(rsa.status, 0, rsa.stderr);
    const rsaInfo = JSON.parse(rsa.stdout) as KeyInfo;
    assert.equal(rsaInfo.algorithm, 'rsa4096');
    assert.deepEqual(rsaInfo.userIds, ['Fleet Repo']);
    assert.equal(rsaInfo.passphrase, true);
    assert.equal(rsaInfo.default, false);

    const listed = await cli(dataDir, ['--json', 'key', 'list']);
    assert.equal(listed.status, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout) as KeyInfo[];
    assert.deepEqual(keys.map((k) => [k.fingerprint, k.algorithm, k.default, k.passphrase]).sort(), [
      [fpr, 'ed25519', true, false],
      [rsaInfo.fingerprint, 'rsa4096', false, true],
    ].sort());
    const human = await cli(dataDir, ['key', 'list']);
    assert.match(human.stdout, new RegExp(`^${fpr}  ed25519  \\d{4}-\\d\\d-\\d\\d  debstash signing key <ops@example.org>  \\[default\\]$`, 'm'));
    assert.match(human.stdout, new RegExp(`^${rsaInfo.fingerprint}  rsa4096  .*Fleet Repo  \\[passphrase\\]$`, 'm'));

    const exported = await cli(dataDir, ['key', 'export']);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n[\s\S]+-----END PGP PUBLIC KEY BLOCK-----\n$/);
    // --quiet does not swallow the key: it is the output.
    assert.equal((await cli(dataDir, ['-q', 'key', 'export', fpr])).stdout, exported.stdout);
    const asJson = JSON.parse((await cli(dataDir, ['--json', 'key', 'export', rsaInfo.keyId])).stdout) as { fingerprint: string; publicKey: string };
    assert.equal(asJson.fingerprint, rsaInfo.fingerprint);
    assert.match(asJson.publicKey, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);

    // What a client does with the exported key: gpgv (as apt runs it) accepts what the store signs.
    const keyring = await writeKeyring(exported.stdout, join(tmp.dir, 'exported.gpg'));
    const signer = await openSigner(await keyStore(dataDir));
    await writeFile(join(tmp.dir, 'InRelease'), await signer.clearsign('Origin: cli\n'));
    assert.ok((await gpgv(keyring, join(tmp.dir, 'InRelease'))).ok);

    const chosen = await cli(dataDir, ['key', 'default', rsaInfo.keyId]);
    assert.equal(chosen.status, 0, chosen.stderr);
    assert.match(chosen.stdout, new RegExp(`default signing key is now ${rsaInfo.fingerprint}`));
    assert.match((await cli(dataDir, ['key', 'export'])).stdout, /BEGIN PGP PUBLIC KEY BLOCK/);
    assert.equal((JSON.parse((await cli(dataDir, ['--json', 'key', 'export'])).stdout) as { fingerprint: string }).fingerprint, rsaInfo.fingerprint);
  });

  test('a passphrase is never an argument: --passphrase is a usage error and nothing is made', async () => {
    const dataDir = join(tmp.dir, 'argv');
    const r = await cli(dataDir, ['key', 'generate', '--passphrase', 'hunter2']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option '--passphrase'/);
    assert.deepEqual(await readdir(dataDir).catch(() => []), []);
  });

  test('import FILE and import - (stdin); a protected key takes its passphrase from the environment', async () => {
    const dataDir = join(tmp.dir, 'import');
    const plainFpr = await home.generateKey('Cli Plain <plain@example.org>', 'ed25519');
    const file = join(tmp.dir, 'plain.key');
    await writeFile(file, await home.exportSecretKey(plainFpr));
    const imported = await cli(dataDir, ['key', 'import', file]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, new RegExp(`imported key ${plainFpr} \\(ed25519, "Cli Plain <plain@example.org>"\\)`));

    const uid = 'Cli Locked <locked@example.org>';
    await home.gpg(['--passphrase', 'env secret', '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
    const locked = await home.gpg(['--passphrase', 'env secret', '--armor', '--export-secret-keys', uid]);
    assertKeyError(await cli(dataDir, ['--json', 'key', 'import', '-'], { input: locked }), 'DEBSTASH_E_KEY_PASSPHRASE', /none was given/);
    assertKeyError(await cli(dataDir, ['--json', 'key', 'import', '-'], { input: locked, env: { DEBSTASH_KEY_PASSPHRASE: 'wrong' } }), 'DEBSTASH_E_KEY_PASSPHRASE', /does not unlock/);
    const ok = await cli(dataDir, ['--json', 'key', 'import', '-'], { input: locked, env: { DEBSTASH_KEY_PASSPHRASE: 'env secret' } });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const info = JSON.parse(ok.stdout) as KeyInfo;
    assert.equal(info.passphrase, true);
    assert.equal(info.default, false);
    assert.equal((JSON.parse((await cli(dataDir, ['--json', 'key', 'list'])).stdout) as KeyInfo[]).length, 2);
  });

  test('errors: unknown key, empty store, unreadable files, a public key given to import', async () => {
    const dataDir = join(tmp.dir, 'errors');
    assertKeyError(await cli(dataDir, ['--json', 'key', 'export']), 'DEBSTASH_E_KEY_NOT_FOUND', /no signing key/);
    const human = await cli(dataDir, ['key', 'export', '0123456789ABCDEF']);
    assert.notEqual(human.status, 0);
    assert.match(human.stderr, /^debstash: DEBSTASH_E_\w+: no key 0123456789ABCDEF in the key store/);
    assert.equal(human.stdout, '');
    assert.match((await cli(dataDir, ['key', 'list'])).stdout, /no signing keys; make one with "debstash key generate"/);
    assertKeyError(await cli(dataDir, ['--json', 'key', 'import', join(tmp.dir, 'absent.key')]), 'DEBSTASH_E_KEY_INVALID', /cannot read the key file .*ENOENT/);
    assertKeyError(await cli(dataDir, ['--json', 'key', 'generate', '--passphrase-file', join(tmp.dir, 'absent')]), 'DEBSTASH_E_KEY_PASSPHRASE', /ENOENT/);
    const pub = join(tmp.dir, 'public.asc');
    await writeFile(pub, await home.exportKeys([await home.generateKey('Pub <pub@example.org>', 'ed25519')], true));
    assertKeyError(await cli(dataDir, ['--json', 'key', 'import', pub]), 'DEBSTASH_E_KEY_INVALID', /public key/);
    assert.deepEqual(await readdir(join(dataDir, 'keys')).catch(() => []), []);
  });
});
