import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadKeyring, parseKeyring } from '../../src/upstream/keyring.js';
import { rejectsWith } from '../helpers/coded-error.js';
import { GpgHome } from '../helpers/gpg-home.js';

const keyringInvalid = (re: RegExp): ((e: unknown) => true) => rejectsWith('DEBSTASH_E_KEYRING_INVALID', re);

const fingerprints = (keys: readonly { getFingerprint(): string }[]): string[] => keys.map((k) => k.getFingerprint().toUpperCase()).sort();

describe('keyring', () => {
  let gpg: GpgHome;
  let a: string;
  let b: string;
  before(async () => {
    gpg = await GpgHome.create();
    a = await gpg.generateKey('Keyring A <a@example.invalid>', 'ed25519');
    b = await gpg.generateKey('Keyring B <b@example.invalid>', 'ed25519');
  });
  after(() => gpg.close());

  test('reads binary keyrings (gpg --export), armored ones, and several files', async () => {
    const bin = join(gpg.dir, 'a.gpg');
    const asc = join(gpg.dir, 'b.asc');
    await writeFile(bin, await gpg.exportKeys([a]));
    await writeFile(asc, `Comment before the block\n${(await gpg.exportKeys([b], true)).toString()}`);
    assert.deepEqual(fingerprints((await loadKeyring(bin)).keys), [a]);
    assert.deepEqual(fingerprints((await loadKeyring(asc)).keys), [b]);
    const both = await loadKeyring([bin, asc]);
    assert.deepEqual(fingerprints(both.keys), [a, b].sort());
    assert.deepEqual(both.sources, [bin, asc]);
    const two = await gpg.exportKeys([a, b]);
    assert.deepEqual(fingerprints(await parseKeyring(two, 'two')), [a, b].sort());
  });

  test('reads several armored blocks in one file', async () => {
    const text = `${(await gpg.exportKeys([a], true)).toString()}\n${(await gpg.exportKeys([b], true)).toString()}`;
    assert.deepEqual(fingerprints(await parseKeyring(Buffer.from(text), 'two.asc')), [a, b].sort());
  });

  test('reads a GnuPG keybox (pubring.kbx), which gpgv reads and apt does not', async () => {
    const kbx = await readFile(join(gpg.dir, 'pubring.kbx'));
    assert.deepEqual(fingerprints(await parseKeyring(kbx, 'pubring.kbx')), [a, b].sort());
  });

  test('reads the Debian archive keyring of this machine, when there is one', async (t) => {
    const path = '/usr/share/keyrings/debian-archive-keyring.gpg';
    if (!existsSync(path)) {
      t.skip(`no ${path}`);
      return;
    }
    const ring = await loadKeyring(path);
    assert.ok(ring.keys.length >= 3);
  });

  test('refuses what is not a public keyring, naming the file', async () => {
    const missing = join(gpg.dir, 'missing.gpg');
    await assert.rejects(loadKeyring(missing), keyringInvalid(/missing\.gpg: cannot read the keyring \(ENOENT\)/));
    await assert.rejects(parseKeyring(new Uint8Array(), 'e.gpg'), keyringInvalid(/^e\.gpg: is empty/));
    await assert.rejects(parseKeyring(Buffer.from('hello world\n'), 'h.gpg'), keyringInvalid(/^h\.gpg: is neither a binary OpenPGP keyring/));
    await assert.rejects(parseKeyring(await gpg.exportSecretKey(a), 's.gpg'), keyringInvalid(/is a secret key/));
    const good = await gpg.exportKeys([a]);
    await assert.rejects(parseKeyring(good.subarray(0, 20), 't.gpg'), keyringInvalid(/^t\.gpg: not a valid OpenPGP keyring/));
    const armored = (await gpg.exportKeys([a], true)).toString();
    const broken = armored.replace(/\n([A-Za-z0-9+/]{20})/, '\n!!!!');
    await assert.rejects(parseKeyring(Buffer.from(broken), 'b.asc'), keyringInvalid(/^b\.asc: armored key block 1 is not valid/));
    await assert.rejects(loadKeyring([]), keyringInvalid(/no keyring given/));
  });
});
