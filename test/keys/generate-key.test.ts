import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readKey } from 'openpgp';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { generateKey } from '../../src/keys/generate-key.js';
import { listKeys } from '../../src/keys/key-store.js';
import { legacyKeysDir } from '../../src/keys/legacy-keys.js';
import { openSigner } from '../../src/keys/open-signer.js';
import { keyringOf } from '../../src/upstream/keyring.js';
import { verifyInRelease } from '../../src/upstream/verify-release.js';
import { isCode } from '../helpers/coded-error.js';
import { gpgv } from '../helpers/gpg-home.js';
import { assertVerifiesEverywhere, signInto, sqv, sqvPath, tempDir, keyStore } from './key-fixtures.js';

const RELEASE = [
  'Origin: debstash',
  'Label: debstash',
  'Suite: stable',
  'Codename: bookworm',
  'Date: Sat, 01 Jun 2024 10:00:00 UTC',
  'Architectures: amd64',
  'Components: main',
  'Acquire-By-Hash: yes',
  'SHA256:',
  ' 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0 1234 main/binary-amd64/Packages',
  ' 1f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0  567 main/binary-amd64/Packages.xz',
  '',
].join('\n');

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('generateKey', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  before(async () => {
    tmp = await tempDir();
  });
  after(() => tmp.close());

  test('Ed25519 by default: stored in the store (its SQLite file 0600), no file in the data dir, the default, signs what gpgv, sqv and verify-release accept', async (t) => {
    const dataDir = join(tmp.dir, 'ed');
    const started = performance.now();
    const info = await generateKey(await keyStore(dataDir), { email: 'ops@example.org' });
    t.diagnostic(`Ed25519 generateKey: ${(performance.now() - started).toFixed(0)} ms`);
    assert.match(info.fingerprint, /^[0-9A-F]{40}$/);
    assert.equal(info.keyId, info.fingerprint.slice(-16));
    assert.equal(info.algorithm, 'ed25519');
    assert.deepEqual(info.userIds, ['debstash signing key <ops@example.org>']);
    assert.equal(info.passphrase, false);
    assert.equal(info.default, true);
    assert.equal(info.expires, null);

    const store = await keyStore(dataDir);
    const record = await store.getSigningKey(info.fingerprint);
    assert.ok(record);
    assert.equal(await mode(join(dataDir, 'debstash.sqlite')), 0o600);
    await assert.rejects(stat(legacyKeysDir(dataDir)), { code: 'ENOENT' });
    assert.match(record.secretArmored, /^-----BEGIN PGP PRIVATE KEY BLOCK-----\n/);
    assert.deepEqual([record.algorithm, record.userId, record.createdAt], ['ed25519', 'debstash signing key <ops@example.org>', info.created]);
    const pub = await readKey({ armoredKey: record.publicArmored });
    assert.equal(pub.isPrivate(), false);
    assert.equal(pub.getFingerprint().toUpperCase(), info.fingerprint);
    assert.equal(await store.defaultSigningKey(), info.fingerprint);
    // gpg's "ed25519" (EdDSA, algorithm 22): what gpgv 2.2 verifies. No subkeys: the primary signs.
    assert.equal(pub.keyPacket.algorithm, 22);
    assert.equal(pub.keyPacket.version, 4);
    assert.equal(pub.subkeys.length, 0);

    const signer = await openSigner(await keyStore(dataDir));
    assert.equal(signer.fingerprint, info.fingerprint);
    assert.equal(signer.publicKeyArmored, record.publicArmored);
    await assertVerifiesEverywhere(signer, RELEASE, await mkdirIn(tmp.dir, 'ed-check'));
  });

  test('RSA 4096 on request; a second key does not take over the default', async (t) => {
    const dataDir = join(tmp.dir, 'rsa');
    const first = await generateKey(await keyStore(dataDir), { name: 'first' });
    const started = performance.now();
    const info = await generateKey(await keyStore(dataDir), { name: 'Repo Signing', algorithm: 'rsa4096' });
    t.diagnostic(`RSA-4096 generateKey: ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(info.algorithm, 'rsa4096');
    assert.deepEqual(info.userIds, ['Repo Signing']);
    assert.equal(info.default, false);
    assert.equal((await (await keyStore(dataDir)).getSigningKey(info.fingerprint))?.algorithm, 'rsa4096');

    const listed = await listKeys(await keyStore(dataDir));
    assert.deepEqual(listed.map((k) => [k.fingerprint, k.default]).sort(), [[first.fingerprint, true], [info.fingerprint, false]].sort());

    const signer = await openSigner(await keyStore(dataDir), { fingerprint: info.keyId });
    assert.equal(signer.fingerprint, info.fingerprint);
    await assertVerifiesEverywhere(signer, RELEASE, await mkdirIn(tmp.dir, 'rsa-check'));
    assert.equal((await openSigner(await keyStore(dataDir))).fingerprint, first.fingerprint);
  });

  test('clearsigned text survives what the cleartext framework changes: dashes, blank and trailing-blank lines, no final newline', async () => {
    const dataDir = join(tmp.dir, 'texts');
    await generateKey(await keyStore(dataDir));
    const signer = await openSigner(await keyStore(dataDir));
    const texts = [
      'Origin: x\n-leading dash\n--\n- \nFrom the start\n\nLabel: after a blank line\n',
      'no final newline',
      'trailing blanks   \nand tabs\t\t\nDescription: ünïcödé\n',
      'ends with blank lines\n\n\n',
    ];
    for (const [i, text] of texts.entries()) {
      const dir = await mkdirIn(tmp.dir, `text-${i}`);
      const f = await signInto(signer, text, dir);
      const clear = await gpgv(f.keyring, f.inRelease);
      assert.ok(clear.ok, `text ${i}: ${clear.status}`);
      const detached = await gpgv(f.keyring, f.releaseGpg, f.release);
      assert.ok(detached.ok, `text ${i}: ${detached.status}`);
      const keyring = keyringOf([await readKey({ armoredKey: signer.publicKeyArmored })], 'k');
      const verified = await verifyInRelease(await readFile(f.inRelease), keyring);
      // What apt reads: every line without trailing blanks, joined by "\n", no final newline.
      const expected = text.replace(/\n$/, '').split('\n').map((l) => l.replace(/[ \t]+$/, '')).join('\n');
      assert.equal(verified.text, expected, `text ${i}`);
    }
  });

  test('the clearsigned file is written as gpg writes an InRelease: LF endings, Hash header, signature right after the text', async () => {
    const dataDir = join(tmp.dir, 'frame');
    await generateKey(await keyStore(dataDir));
    const signed = await (await openSigner(await keyStore(dataDir))).clearsign('A: 1\n-B: 2\n');
    assert.doesNotMatch(signed, /\r/);
    assert.match(signed, /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nA: 1\n- -B: 2\n-----BEGIN PGP SIGNATURE-----\n\n[\s\S]+\n-----END PGP SIGNATURE-----\n$/);
  });

  test('a tampered InRelease or Release fails gpgv and verify-release (the checks above are real)', async () => {
    const dataDir = join(tmp.dir, 'tamper');
    await generateKey(await keyStore(dataDir));
    const signer = await openSigner(await keyStore(dataDir));
    const dir = await mkdirIn(tmp.dir, 'tamper-check');
    const f = await signInto(signer, RELEASE, dir);
    await writeFile(f.inRelease, (await readFile(f.inRelease, 'utf8')).replace(' 1234 ', ' 1235 '));
    await writeFile(f.release, RELEASE.replace(' 1234 ', ' 1235 '));
    assert.equal((await gpgv(f.keyring, f.inRelease)).ok, false);
    assert.equal((await gpgv(f.keyring, f.releaseGpg, f.release)).ok, false);
    if ((await sqvPath) !== undefined) assert.equal((await sqv(f.keyring, f.releaseGpg, f.release)).ok, false);
    const keyring = keyringOf([await readKey({ armoredKey: signer.publicKeyArmored })], 'k');
    await assert.rejects(verifyInRelease(await readFile(f.inRelease), keyring), isCode('DEBSTASH_E_SIGNATURE_INVALID'));
  });

  test('the store file that holds the keys is owner-only whatever the umask, and a too-open one is closed', async () => {
    const dataDir = join(tmp.dir, 'umask');
    const old = process.umask(0);
    try {
      await generateKey(await keyStore(dataDir));
      assert.equal(await mode(join(dataDir, 'debstash.sqlite')), 0o600);
    } finally {
      process.umask(old);
    }
    const open = join(tmp.dir, 'too-open');
    await mkdir(open);
    await writeFile(join(open, 'debstash.sqlite'), '', { mode: 0o644 });
    await chmod(join(open, 'debstash.sqlite'), 0o644);
    await generateKey(await keyStore(open));
    assert.equal(await mode(join(open, 'debstash.sqlite')), 0o600);
  });

  test('sqv, the verifier of newer apt, accepts both signatures of both key types', async (t) => {
    if ((await sqvPath) === undefined) {
      t.skip('sqv is not installed (Debian package "sqv")');
      return;
    }
    for (const algorithm of ['ed25519', 'rsa4096'] as const) {
      const dataDir = join(tmp.dir, `sqv-${algorithm}`);
      const info = await generateKey(await keyStore(dataDir), { algorithm });
      const f = await signInto(await openSigner(await keyStore(dataDir)), RELEASE, await mkdirIn(tmp.dir, `sqv-${algorithm}-check`));
      const detached = await sqv(f.keyring, f.releaseGpg, f.release);
      assert.ok(detached.ok, `${algorithm}: ${detached.output}`);
      assert.match(detached.output, new RegExp(info.fingerprint));
      // sqv takes detached signatures only; apt >= 2.9 splits an InRelease itself before calling it.
      const parts = splitClearsigned(await readFile(f.inRelease), 'InRelease');
      await writeFile(`${f.inRelease}.text`, parts.signed);
      await writeFile(`${f.inRelease}.sig`, parts.signatures.join('\n'));
      const clear = await sqv(f.keyring, `${f.inRelease}.sig`, `${f.inRelease}.text`);
      assert.ok(clear.ok, `${algorithm}: ${clear.output}`);
    }
  });

  test('a carriage return in the text to clearsign is refused (tools would disagree on the lines)', async () => {
    const dataDir = join(tmp.dir, 'cr');
    await generateKey(await keyStore(dataDir));
    await assert.rejects((await openSigner(await keyStore(dataDir))).clearsign('A: 1\r\nB: 2\n'), TypeError);
  });

  test('bad options are usage errors and write nothing', async () => {
    const dataDir = join(tmp.dir, 'bad');
    await assert.rejects(generateKey(await keyStore(dataDir), { name: 'a <b>' }), isCode('DEBSTASH_E_USAGE', /key name/));
    await assert.rejects(generateKey(await keyStore(dataDir), { email: 'not an email' }), isCode('DEBSTASH_E_USAGE', /email/));
    await assert.rejects(generateKey(await keyStore(dataDir), { algorithm: 'dsa1024' as 'ed25519' }), isCode('DEBSTASH_E_USAGE', /algorithm/));
    await assert.rejects(generateKey(await keyStore(dataDir), { passphrase: '' }), isCode('DEBSTASH_E_USAGE', /passphrase/));
    assert.deepEqual(await listKeys(await keyStore(dataDir)), []);
  });

  test('keys generated at the same time: all stored, exactly one is the default', async () => {
    const dataDir = join(tmp.dir, 'parallel');
    const store = await keyStore(dataDir);
    const made = await Promise.all([0, 1, 2, 3].map(() => generateKey(store)));
    const listed = await listKeys(await keyStore(dataDir));
    assert.equal(listed.length, 4);
    assert.equal(listed.filter((k) => k.default).length, 1);
    assert.equal(made.filter((k) => k.default).length, 1);
    assert.equal(listed.find((k) => k.default)?.fingerprint, made.find((k) => k.default)?.fingerprint);
  });
});

async function mkdirIn(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  return dir;
}
