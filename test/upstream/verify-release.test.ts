import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadKeyring, parseKeyring, type Keyring } from '../../src/upstream/keyring.js';
import { verifyDetachedRelease, verifyInRelease } from '../../src/upstream/verify-release.js';
import { rejectsWith } from '../helpers/coded-error.js';
import { GpgHome, gpgv } from '../helpers/gpg-home.js';

// Lines that exercise dash-escaping and trailing blanks, which apt and gpg must agree on.
const RELEASE = [
  'Origin: Test',
  'Label: Test',
  'Codename: test',
  'Date: Sat, 10 Feb 2024 10:00:00 UTC',
  'Description: a line with trailing blanks   ',
  '-Odd: a line starting with a dash',
  'SHA256:',
  ` ${'a'.repeat(64)} 100 main/binary-amd64/Packages`,
  '',
].join('\n');

describe('verifyInRelease / verifyDetachedRelease, cross-checked with gpgv', () => {
  let gpg: GpgHome;
  let rsa: string;
  let ed: string;
  let stranger: string;
  let weak: string;
  let expired: string;
  let keyring: Keyring;
  let keyringFile: string;
  let n = 0;

  before(async () => {
    gpg = await GpgHome.create();
    [rsa, ed, stranger, weak] = await Promise.all([
      gpg.generateKey('Archive RSA <rsa@example.invalid>', 'rsa4096'),
      gpg.generateKey('Archive Ed25519 <ed@example.invalid>', 'ed25519'),
      gpg.generateKey('Stranger <stranger@example.invalid>', 'ed25519'),
      gpg.generateKey('Weak <weak@example.invalid>', 'rsa1024'),
    ]);
    expired = await gpg.generateKey('Expired <expired@example.invalid>', 'ed25519', { fakedTime: '20200101T000000', expire: '1y' });
    keyringFile = join(gpg.dir, 'archive.gpg');
    await writeFile(keyringFile, await gpg.exportKeys([rsa, ed, weak, expired]));
    keyring = await loadKeyring(keyringFile);
  });
  after(() => gpg.close());

  /** Our verdict and gpgv's on the same bytes. */
  async function both(inRelease: Buffer): Promise<{ ours: Promise<unknown>; theirs: Awaited<ReturnType<typeof gpgv>> }> {
    const file = join(gpg.dir, `InRelease-${++n}`);
    await writeFile(file, inRelease);
    const theirs = await gpgv(keyringFile, file);
    const ours = verifyInRelease(inRelease, keyring, { source: 'http://127.0.0.1/dists/test/InRelease' });
    ours.catch(() => undefined);
    return { ours, theirs };
  }

  test('a good RSA-4096 signature verifies, as with gpgv, and gives the signed text', async () => {
    const signed = await gpg.clearsign(RELEASE, [rsa]);
    const { ours, theirs } = await both(signed);
    assert.ok(theirs.ok, theirs.status);
    const v = (await ours) as Awaited<ReturnType<typeof verifyInRelease>>;
    assert.equal(v.fingerprint, rsa);
    assert.equal(v.text, RELEASE.replace(/ +\n/g, '\n').replace(/\n$/, ''));
    assert.match(theirs.status, new RegExp(`VALIDSIG ${rsa}`));
  });

  test('a good Ed25519 signature verifies, also with CRLF line endings, as with gpgv', async () => {
    const signed = await gpg.clearsign(RELEASE, [ed]);
    for (const bytes of [signed, Buffer.from(signed.toString().replace(/\n/g, '\r\n'))]) {
      const { ours, theirs } = await both(bytes);
      assert.ok(theirs.ok, theirs.status);
      assert.equal(((await ours) as { fingerprint: string }).fingerprint, ed);
    }
  });

  test('a signature by a key not in the keyring is DEBSTASH_E_SIGNATURE_UNKNOWN_KEY; gpgv fails too', async () => {
    const { ours, theirs } = await both(await gpg.clearsign(RELEASE, [stranger]));
    assert.equal(theirs.ok, false);
    assert.match(theirs.status, /NO_PUBKEY/);
    await assert.rejects(ours, rejectsWith('DEBSTASH_E_SIGNATURE_UNKNOWN_KEY', new RegExp(`${stranger.slice(-16)}.*not in the keyring \\(${keyringFile}\\)`)));
  });

  test('tampered text is DEBSTASH_E_SIGNATURE_INVALID; gpgv says BADSIG', async () => {
    const signed = (await gpg.clearsign(RELEASE, [rsa])).toString().replace('Origin: Test', 'Origin: Evil');
    const { ours, theirs } = await both(Buffer.from(signed));
    assert.equal(theirs.ok, false);
    assert.match(theirs.status, /BADSIG/);
    await assert.rejects(ours, rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /InRelease: bad signature/));
  });

  test('a tampered signature is DEBSTASH_E_SIGNATURE_INVALID; gpgv fails too', async () => {
    const signed = (await gpg.clearsign(RELEASE, [ed])).toString();
    const lines = signed.split('\n');
    const at = lines.indexOf('-----BEGIN PGP SIGNATURE-----') + 3;
    // Flip one character in the middle of the signature's radix-64.
    const line = lines[at];
    const i = Math.floor(line.length / 2);
    lines[at] = line.slice(0, i) + (line[i] === 'A' ? 'B' : 'A') + line.slice(i + 1);
    const { ours, theirs } = await both(Buffer.from(lines.join('\n')));
    assert.equal(theirs.ok, false, theirs.status);
    await assert.rejects(ours, rejectsWith('DEBSTASH_E_SIGNATURE_INVALID'));
  });

  test('text added around the message is refused as apt refuses it, though gpgv alone accepts it', async () => {
    const signed = await gpg.clearsign(RELEASE, [ed]);
    const { ours, theirs } = await both(Buffer.concat([Buffer.from('Origin: Evil\n\n'), signed]));
    assert.ok(theirs.ok, 'gpgv ignores text before the signed message; apt does not');
    await assert.rejects(ours, rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /does not start with/));
  });

  test('a SHA-1 signature is refused, as apt 2.6 refuses it (gpgv alone accepts it)', async () => {
    const { ours, theirs } = await both(await gpg.clearsign(RELEASE, [rsa], { digest: 'SHA1' }));
    assert.ok(theirs.ok, theirs.status);
    await assert.rejects(ours, rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /untrusted digest algorithm SHA1/));
  });

  test('an RSA-1024 key is refused, as apt >= 2.7 refuses it (gpgv and apt 2.6 accept it)', async () => {
    const { ours, theirs } = await both(await gpg.clearsign(RELEASE, [weak]));
    assert.ok(theirs.ok, theirs.status);
    await assert.rejects(ours, rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /weak public key: RSA 1024 bits/));
  });

  test('a signature by an expired key is refused; gpgv says EXPKEYSIG, which apt counts as invalid', async () => {
    const { ours, theirs } = await both(await gpg.clearsign(RELEASE, [expired], { fakedTime: '20200601T000000' }));
    assert.match(theirs.status, /EXPKEYSIG/);
    await assert.rejects(ours, rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /cannot sign now/));
  });

  test('a good signature beside one by an unknown key verifies (apt: good and no bad)', async () => {
    const { ours, theirs } = await both(await gpg.clearsign(RELEASE, [stranger, ed]));
    assert.match(theirs.status, /GOODSIG/);
    assert.equal(((await ours) as { fingerprint: string }).fingerprint, ed);
  });

  test('Release + detached Release.gpg verifies, as with gpgv; altered Release does not', async () => {
    const sig = await gpg.detachSign(RELEASE, [rsa]);
    const rel = join(gpg.dir, 'Release');
    const sigFile = join(gpg.dir, 'Release.gpg');
    await writeFile(rel, RELEASE);
    await writeFile(sigFile, sig);
    assert.ok((await gpgv(keyringFile, sigFile, rel)).ok);
    const v = await verifyDetachedRelease(Buffer.from(RELEASE), sig, keyring, { source: 'R' });
    assert.equal(v.fingerprint, rsa);
    assert.equal(v.text, RELEASE);
    const altered = RELEASE.replace('Test', 'Evil');
    await writeFile(rel, altered);
    assert.equal((await gpgv(keyringFile, sigFile, rel)).ok, false);
    await assert.rejects(verifyDetachedRelease(Buffer.from(altered), sig, keyring, { source: 'R' }), rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /^R: bad signature/));
    await assert.rejects(verifyDetachedRelease(Buffer.from(RELEASE), Buffer.from('<html>paywall</html>'), keyring, { source: 'R' }), rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /^R\.gpg:/));
  });

  test("the real bookworm InRelease verifies with the real Debian keyring, as with gpgv, when they are here", async (t) => {
    const ringPath = '/usr/share/keyrings/debian-archive-keyring.gpg';
    let name: string | undefined;
    try {
      name = readdirSync('/var/lib/apt/lists').find((f) => f.endsWith('_dists_bookworm_InRelease'));
      readFileSync(ringPath);
    } catch {
      name = undefined;
    }
    if (name === undefined) {
      t.skip('no bookworm InRelease in /var/lib/apt/lists or no Debian archive keyring');
      return;
    }
    const path = join('/var/lib/apt/lists', name);
    const bytes = readFileSync(path);
    const debian = await loadKeyring(ringPath);
    // Signature only: this copy may be older than its Valid-Until; times are checked elsewhere.
    const v = await verifyInRelease(bytes, debian, { source: name });
    assert.match(v.fingerprint, /^[0-9A-F]{40}$/);
    assert.ok((await gpgv(ringPath, path)).ok);
    const tampered = Buffer.from(bytes.toString('latin1').replace(/^Suite: .*$/m, 'Suite: evil'), 'latin1');
    await assert.rejects(verifyInRelease(tampered, debian, { source: name }), rejectsWith('DEBSTASH_E_SIGNATURE_INVALID'));
    const other = await parseKeyring(await gpg.exportKeys([ed]), 'test key');
    await assert.rejects(verifyInRelease(bytes, { keys: other, sources: ['test key'] }, { source: name }), rejectsWith('DEBSTASH_E_SIGNATURE_UNKNOWN_KEY'));
  });
});
