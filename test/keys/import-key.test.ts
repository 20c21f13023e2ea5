import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKey as generateOpenPgpKey } from 'openpgp';
import { importKey } from '../../src/keys/import-key.js';
import { listKeys } from '../../src/keys/key-store.js';
import { openSigner } from '../../src/keys/open-signer.js';
import { GpgHome } from '../helpers/gpg-home.js';
import { assertVerifiesEverywhere, isKeyCode, tempDir, keyStore } from './key-fixtures.js';

const TEXT = 'Origin: imported\nLabel: imported\nSHA256:\n 00 1 main/Packages\n';

/** Nothing at all was written: no key in the store, no default. */
async function assertNothingWritten(dataDir: string): Promise<void> {
  const store = await keyStore(dataDir);
  assert.deepEqual(await store.listSigningKeys(), []);
  assert.equal(await store.defaultSigningKey(), undefined);
}

async function fingerprintOf(home: GpgHome, uid: string): Promise<string> {
  const out = (await home.gpg(['--with-colons', '--list-keys', uid])).toString('utf8');
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(out);
  assert.ok(fpr, out);
  return fpr[1];
}

describe('importKey', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  let home: GpgHome;
  let dirs = 0;
  const dataDir = (): string => join(tmp.dir, `data-${++dirs}`);
  before(async () => {
    tmp = await tempDir();
    home = await GpgHome.create();
  });
  after(async () => {
    await home.close();
    await tmp.close();
  });

  test('a gpg Ed25519 secret key (binary export) signs what gpgv, sqv and verify-release accept', async () => {
    const fpr = await home.generateKey('Ed Gpg <ed@example.org>', 'ed25519');
    const dir = dataDir();
    const info = await importKey(await keyStore(dir), await home.exportSecretKey(fpr));
    assert.equal(info.fingerprint, fpr);
    assert.equal(info.algorithm, 'ed25519');
    assert.deepEqual(info.userIds, ['Ed Gpg <ed@example.org>']);
    assert.equal(info.default, true);
    assert.equal(info.passphrase, false);
    const signer = await openSigner(await keyStore(dir));
    assert.equal(signer.fingerprint, fpr);
    await assertVerifiesEverywhere(signer, TEXT, tmp.dir);
  });

  test('a gpg RSA-4096 secret key, armored, given as a string', async (t) => {
    const started = performance.now();
    const fpr = await home.generateKey('Rsa Gpg <rsa@example.org>', 'rsa4096');
    t.diagnostic(`gpg RSA-4096 key generation: ${(performance.now() - started).toFixed(0)} ms`);
    const armored = (await home.gpg(['--armor', '--export-secret-keys', fpr])).toString('utf8');
    const dir = dataDir();
    // Text before the armored block (a note, a mail) is skipped, as gpg does.
    const info = await importKey(await keyStore(dir), `Here is the repository key:\n\n${armored}`);
    assert.equal(info.algorithm, 'rsa4096');
    await assertVerifiesEverywhere(await openSigner(await keyStore(dir), { fingerprint: fpr }), TEXT, tmp.dir);
  });

  test('a protected gpg key needs its passphrase: none or a wrong one writes nothing; the right one stores it still protected', async () => {
    const uid = 'Locked <locked@example.org>';
    // GpgHome passes an empty --passphrase first; gpg takes the last one given.
    await home.gpg(['--passphrase', 'open sesame', '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
    const fpr = await fingerprintOf(home, uid);
    const secret = await home.gpg(['--passphrase', 'open sesame', '--armor', '--export-secret-keys', fpr]);
    const dir = dataDir();
    await assert.rejects(importKey(await keyStore(dir), secret), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /none was given/));
    await assertNothingWritten(dir);
    await assert.rejects(importKey(await keyStore(dir), secret, { passphrase: 'open says me' }), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /does not unlock/));
    await assertNothingWritten(dir);

    const info = await importKey(await keyStore(dir), secret, { passphrase: 'open sesame' });
    assert.equal(info.passphrase, true);
    await assert.rejects(openSigner(await keyStore(dir)), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE'));
    await assertVerifiesEverywhere(await openSigner(await keyStore(dir), { passphrase: 'open sesame' }), TEXT, tmp.dir);
  });

  test('an unprotected key imported with a passphrase is stored protected by it', async () => {
    const fpr = await home.generateKey('Plain <plain@example.org>', 'ed25519');
    const dir = dataDir();
    const info = await importKey(await keyStore(dir), await home.exportSecretKey(fpr), { passphrase: 'new lock' });
    assert.equal(info.passphrase, true);
    assert.equal((await listKeys(await keyStore(dir)))[0].passphrase, true);
    await assert.rejects(openSigner(await keyStore(dir)), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE'));
    await assert.rejects(openSigner(await keyStore(dir), { passphrase: 'old lock' }), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE'));
    assert.equal((await openSigner(await keyStore(dir), { passphrase: 'new lock' })).fingerprint, fpr);
  });

  test('a key that signs with a subkey while the primary secret stays offline (gpg --export-secret-subkeys)', async () => {
    const uid = 'Offline Primary <offline@example.org>';
    await home.gpg(['--quick-gen-key', uid, 'ed25519', 'cert', 'never']);
    const fpr = await fingerprintOf(home, uid);
    await home.gpg(['--quick-add-key', fpr, 'ed25519', 'sign', 'never']);
    const dir = dataDir();
    const info = await importKey(await keyStore(dir), await home.gpg(['--export-secret-subkeys', fpr]));
    assert.equal(info.fingerprint, fpr);
    const signer = await openSigner(await keyStore(dir));
    assert.equal(signer.fingerprint, fpr);
    // gpgv's VALIDSIG names the subkey that signed and, last, the primary: checked there.
    await assertVerifiesEverywhere(signer, TEXT, tmp.dir);

    // Protecting such a key leaves the stub alone and locks the subkey.
    const locked = dataDir();
    assert.equal((await importKey(await keyStore(locked), await home.gpg(['--export-secret-subkeys', fpr]), { passphrase: 'sub' })).passphrase, true);
    await assert.rejects(openSigner(await keyStore(locked)), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE'));
    await assertVerifiesEverywhere(await openSigner(await keyStore(locked), { passphrase: 'sub' }), TEXT, tmp.dir);
  });

  test('a stub whose signing secret is missing is refused as invalid', async () => {
    const uid = 'Stub Only <stub@example.org>';
    await home.gpg(['--quick-gen-key', uid, 'ed25519', 'cert,sign', 'never']);
    const fpr = await fingerprintOf(home, uid);
    await home.gpg(['--quick-add-key', fpr, 'cv25519', 'encr', 'never']);
    const dir = dataDir();
    await assert.rejects(importKey(await keyStore(dir), await home.gpg(['--export-secret-subkeys', fpr])), isKeyCode('DEBSTASH_E_KEY_INVALID', /secret part of its signing key/));
    await assertNothingWritten(dir);
  });

  test('keys apt would refuse: RSA < 2048, DSA, P-521, expired, RFC 9580 Ed25519', async () => {
    const cases: { what: string; secret: () => Promise<Uint8Array | string>; message: RegExp }[] = [
      { what: 'rsa1024', secret: async () => home.exportSecretKey(await home.generateKey('Weak <weak@example.org>', 'rsa1024')), message: /RSA 1024 bits/ },
      {
        what: 'dsa2048',
        secret: async () => {
          await home.gpg(['--quick-gen-key', 'Dsa <dsa@example.org>', 'dsa2048', 'sign', 'never']);
          return home.exportSecretKey(await fingerprintOf(home, 'Dsa <dsa@example.org>'));
        },
        message: /untrusted public key algorithm: dsa/,
      },
      { what: 'nistp521', secret: async () => home.exportSecretKey(await home.generateKey('P521 <p521@example.org>', 'nistp521')), message: /ECDSA on nistP521/ },
      {
        what: 'expired',
        secret: async () => home.exportSecretKey(await home.generateKey('Old <old@example.org>', 'ed25519', { fakedTime: '20200101T000000', expire: '1y' })),
        message: /cannot sign now/,
      },
      {
        what: 'RFC 9580 Ed25519',
        secret: async () => (await generateOpenPgpKey({ type: 'curve25519', userIDs: [{ name: 'new' }], subkeys: [] })).privateKey,
        message: /RFC 9580 algorithm .* gpgv on Debian 12 cannot verify/,
      },
    ];
    for (const c of cases) {
      const dir = dataDir();
      await assert.rejects(importKey(await keyStore(dir), await c.secret()), isKeyCode('DEBSTASH_E_KEY_REFUSED', c.message), c.what);
      await assertNothingWritten(dir);
    }
  });

  test('not a secret key: public keys, garbage, empty input, two keys at once', async () => {
    const a = await home.generateKey('A <a@example.org>', 'ed25519');
    const b = await home.generateKey('B <b@example.org>', 'ed25519');
    const cases: [string, Uint8Array | string, RegExp][] = [
      ['armored public key', (await home.exportKeys([a], true)).toString('utf8'), /public key/],
      ['binary public key', await home.exportKeys([a]), /public key/],
      ['garbage', Buffer.from('hello, world\n'), /neither an armored nor a binary/],
      ['empty', new Uint8Array(0), /empty/],
      ['two keys', Buffer.concat([await home.exportSecretKey(a), await home.exportSecretKey(b)]), /2 secret keys/],
      ['truncated', (await home.exportSecretKey(a)).subarray(0, 40), /cannot be read/],
    ];
    for (const [what, input, message] of cases) {
      const dir = dataDir();
      await assert.rejects(importKey(await keyStore(dir), input), isKeyCode('DEBSTASH_E_KEY_INVALID', message), what);
      await assertNothingWritten(dir);
    }
  });

  test('importing a key twice is DEBSTASH_E_KEY_EXISTS; the second key imported is not the default', async () => {
    const first = await home.generateKey('First <first@example.org>', 'ed25519');
    const second = await home.generateKey('Second <second@example.org>', 'ed25519');
    const dir = dataDir();
    await importKey(await keyStore(dir), await home.exportSecretKey(first));
    await assert.rejects(importKey(await keyStore(dir), await home.exportSecretKey(first)), isKeyCode('DEBSTASH_E_KEY_EXISTS'));
    const info = await importKey(await keyStore(dir), await home.exportSecretKey(second));
    assert.equal(info.default, false);
    assert.equal((await openSigner(await keyStore(dir))).fingerprint, first);
  });
});
