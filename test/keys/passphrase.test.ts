import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readPrivateKey } from 'openpgp';
import { generateKey } from '../../src/keys/generate-key.js';
import { listKeys } from '../../src/keys/key-store.js';
import { openSigner } from '../../src/keys/open-signer.js';
import { PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, readPassphraseFile, resolvePassphrase } from '../../src/keys/passphrase.js';
import { GpgHome, gpgv } from '../helpers/gpg-home.js';
import { assertVerifiesEverywhere, isKeyCode, tempDir, keyStore } from './key-fixtures.js';

describe('passphrase sources', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  before(async () => {
    tmp = await tempDir();
  });
  after(() => tmp.close());

  test('a file: one trailing newline (LF or CRLF) removed, everything else kept', async () => {
    const cases: [string, string][] = [
      ['plain', 'plain'],
      ['lf\n', 'lf'],
      ['crlf\r\n', 'crlf'],
      ['two newlines\n\n', 'two newlines\n'],
      [' spaced words \n', ' spaced words '],
      ['ünïcödé\n', 'ünïcödé'],
    ];
    for (const [i, [content, expected]] of cases.entries()) {
      const path = join(tmp.dir, `pass-${i}`);
      await writeFile(path, content);
      assert.equal(await readPassphraseFile(path), expected, JSON.stringify(content));
    }
  });

  test('an empty, missing or huge file is a passphrase error', async () => {
    await writeFile(join(tmp.dir, 'empty'), '\n');
    await assert.rejects(readPassphraseFile(join(tmp.dir, 'empty')), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /is empty/));
    await assert.rejects(readPassphraseFile(join(tmp.dir, 'absent')), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /ENOENT/));
    await writeFile(join(tmp.dir, 'huge'), Buffer.alloc(100_000, 0x61));
    await assert.rejects(readPassphraseFile(join(tmp.dir, 'huge')), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /larger than/));
  });

  test('precedence: --passphrase-file, then either environment variable; both variables set is an error', async () => {
    const file = join(tmp.dir, 'from-file');
    const envFile = join(tmp.dir, 'from-env-file');
    await writeFile(file, 'file secret\n');
    await writeFile(envFile, 'env file secret\n');
    assert.equal(await resolvePassphrase({ env: {} }), undefined);
    assert.equal(await resolvePassphrase({ env: { [PASSPHRASE_ENV]: '' } }), undefined);
    assert.equal(await resolvePassphrase({ env: { [PASSPHRASE_ENV]: 'env secret' } }), 'env secret');
    assert.equal(await resolvePassphrase({ env: { [PASSPHRASE_FILE_ENV]: envFile } }), 'env file secret');
    assert.equal(await resolvePassphrase({ file, env: { [PASSPHRASE_ENV]: 'env secret' } }), 'file secret');
    assert.equal(await resolvePassphrase({ file, env: { [PASSPHRASE_ENV]: 'a', [PASSPHRASE_FILE_ENV]: envFile } }), 'file secret');
    await assert.rejects(resolvePassphrase({ env: { [PASSPHRASE_ENV]: 'a', [PASSPHRASE_FILE_ENV]: envFile } }), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /only one/));
  });
});

describe('a key protected by a passphrase', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  let dataDir: string;
  let fingerprint: string;
  const passphrase = 'correct horse battery staple';
  before(async () => {
    tmp = await tempDir();
    dataDir = join(tmp.dir, 'data');
    await writeFile(join(tmp.dir, 'right'), `${passphrase}\n`);
    await writeFile(join(tmp.dir, 'wrong'), 'incorrect horse\n');
    fingerprint = (await generateKey(await keyStore(dataDir), { passphrase: await resolvePassphrase({ file: join(tmp.dir, 'right') }) })).fingerprint;
  });
  after(() => tmp.close());
  const storedSecret = async (): Promise<string> => {
    const record = await (await keyStore(dataDir)).getSigningKey(fingerprint);
    assert.ok(record);
    return record.secretArmored;
  };

  test('is stored encrypted, in a form gpg 2.2 reads (version 4 key, iterated+salted S2K, no AEAD)', async () => {
    const armored = await storedSecret();
    const key = await readPrivateKey({ armoredKey: armored });
    assert.equal(key.isDecrypted(), false);
    const packet = key.keyPacket as unknown as { s2k: { type: string }; s2kUsage: number };
    assert.equal(packet.s2k.type, 'iterated');
    assert.equal(packet.s2kUsage, 254);
    assert.equal((await listKeys(await keyStore(dataDir)))[0].passphrase, true);
  });

  test('gpg 2.2 imports it and signs with it given the same passphrase, not another one', async () => {
    const home = await GpgHome.create();
    try {
      // GpgHome passes an empty --passphrase first; gpg takes the last one given.
      const exported = join(home.dir, 'secret.asc');
      await writeFile(exported, await storedSecret());
      await home.gpg(['--passphrase', passphrase, '--import', exported]);
      const data = join(home.dir, 'data');
      await writeFile(data, 'Origin: gpg\n');
      const sign = (p: string, out: string) => home.gpg(['--passphrase', p, '--local-user', `${fingerprint}!`, '--detach-sign', '--output', join(home.dir, out), data]);
      await assert.rejects(sign('not it', 'bad.sig'));
      await sign(passphrase, 'good.sig');
      const keyring = join(home.dir, 'key.gpg');
      await writeFile(keyring, await home.exportKeys([fingerprint]));
      assert.ok((await gpgv(keyring, join(home.dir, 'good.sig'), data)).ok);
    } finally {
      await home.close();
    }
  });

  test('opens with the passphrase from DEBSTASH_KEY_PASSPHRASE and from a file, and signs', async () => {
    const fromEnv = await resolvePassphrase({ env: { [PASSPHRASE_ENV]: passphrase } });
    const signer = await openSigner(await keyStore(dataDir), { ...(fromEnv !== undefined ? { passphrase: fromEnv } : {}) });
    assert.equal(signer.fingerprint, fingerprint);
    await assertVerifiesEverywhere(signer, 'Origin: protected\n', tmp.dir);

    const fromFile = await resolvePassphrase({ env: { [PASSPHRASE_FILE_ENV]: join(tmp.dir, 'right') } });
    assert.equal((await openSigner(await keyStore(dataDir), { ...(fromFile !== undefined ? { passphrase: fromFile } : {}) })).fingerprint, fingerprint);
  });

  test('a wrong or missing passphrase is DEBSTASH_E_KEY_PASSPHRASE, and the store is left as it was', async () => {
    const before = await (await keyStore(dataDir)).listSigningKeys();
    const wrong = await resolvePassphrase({ file: join(tmp.dir, 'wrong') });
    await assert.rejects(openSigner(await keyStore(dataDir), { ...(wrong !== undefined ? { passphrase: wrong } : {}) }), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /does not unlock key/));
    await assert.rejects(openSigner(await keyStore(dataDir)), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE', /none was given/));
    // With the trailing newline kept, the passphrase is wrong: the file rule matters.
    await assert.rejects(openSigner(await keyStore(dataDir), { passphrase: `${passphrase}\n` }), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE'));
    assert.deepEqual(await (await keyStore(dataDir)).listSigningKeys(), before);
  });

  test('a passphrase given for a key without one is not needed and does no harm', async () => {
    const plain = join(tmp.dir, 'plain');
    await generateKey(await keyStore(plain));
    await openSigner(await keyStore(plain), { passphrase: 'anything' });
  });
});
