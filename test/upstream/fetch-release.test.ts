import assert from 'node:assert/strict';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { fetchRelease } from '../../src/upstream/fetch-release.js';
import type { UpstreamClient } from '../../src/upstream/http-client.js';
import { parseKeyring, type Keyring } from '../../src/upstream/keyring.js';
import { rejectsWith } from '../helpers/coded-error.js';
import type { FaultServer } from '../helpers/fault-server.js';
import type { GpgHome } from '../helpers/gpg-home.js';
import { sha256Hex, writeSignedDist } from '../helpers/signed-dist.js';
import { SignedUpstream } from '../helpers/signed-upstream.js';

const DAY = 86_400_000;

describe('fetchRelease', () => {
  let up: SignedUpstream;
  let gpg: GpgHome;
  let root: string;
  let server: FaultServer;
  let client: UpstreamClient;
  let archiveKey: string;
  let otherKey: string;
  let keyring: Keyring;
  const files = { 'main/binary-amd64/Packages': Buffer.from('Package: a\nVersion: 1\n') };

  before(async () => {
    up = await SignedUpstream.start('debstash-release-', { retryBaseDelayMs: 5, retryMaxDelayMs: 20, headersTimeoutMs: 500 });
    ({ gpg, root, server, client } = up);
    [archiveKey, otherKey] = await Promise.all([
      gpg.generateKey('Archive <archive@example.invalid>', 'ed25519'),
      gpg.generateKey('Other <other@example.invalid>', 'ed25519'),
    ]);
    keyring = { keys: await parseKeyring(await gpg.exportKeys([archiveKey]), 'archive.gpg'), sources: ['archive.gpg'] };
  });
  afterEach(() => up.reset());
  after(() => up.close());

  test('fetches, verifies and parses InRelease; a conditional GET then reports it unchanged', async () => {
    const dist = await writeSignedDist(root, 'good', files, { gpg, signer: archiveKey, validUntil: new Date(Date.now() + 7 * DAY) });
    const r = await fetchRelease({ client, baseUrl: server.url, dist: 'good', keyring });
    assert.equal(r.notModified, false);
    if (r.notModified) return;
    assert.equal(r.via, 'InRelease');
    assert.equal(r.url, `${server.url}dists/good/InRelease`);
    assert.equal(r.signedBy, archiveKey);
    assert.equal(r.release.codename, 'good');
    assert.equal(r.release.sha256.get('main/binary-amd64/Packages')?.size, files['main/binary-amd64/Packages'].length);
    assert.equal(r.releaseSha256, sha256Hex(dist.inRelease ?? Buffer.alloc(0)));
    assert.ok(r.etag !== undefined && r.lastModified !== undefined);

    const again = await fetchRelease({ client, baseUrl: server.url, dist: 'good', keyring, previous: { via: 'InRelease', etag: r.etag, validUntil: r.release.validUntil } });
    assert.deepEqual(again, { notModified: true, via: 'InRelease', etag: r.etag });
    assert.equal(server.count('/dists/good/InRelease'), 2);
    assert.equal(server.requests.at(-1)?.headers['if-none-match'], r.etag);
    assert.equal(server.count('/dists/good/Release'), 0);
  });

  test('without validators to send, the same bytes as last verified are "not modified": no keyring read, no verification', async () => {
    await writeSignedDist(root, 'plain', files, { gpg, signer: archiveKey, validUntil: new Date(Date.now() + 7 * DAY) });
    const r = await fetchRelease({ client, baseUrl: server.url, dist: 'plain', keyring });
    assert.ok(!r.notModified);
    let keyringReads = 0;
    const lazyKeyring = async (): Promise<Keyring> => {
      keyringReads++;
      return keyring;
    };
    // An archive that sends neither ETag nor Last-Modified: the request is a plain GET.
    const again = await fetchRelease({ client, baseUrl: server.url, dist: 'plain', keyring: lazyKeyring, previous: { via: 'InRelease', sha256: r.releaseSha256, validUntil: r.release.validUntil } });
    assert.deepEqual(again, { notModified: true, via: 'InRelease' });
    assert.equal(server.requests.at(-1)?.headers['if-none-match'], undefined);
    assert.equal(keyringReads, 0);
    // Other bytes are verified as ever, with the keyring read then.
    const changed = await fetchRelease({ client, baseUrl: server.url, dist: 'plain', keyring: lazyKeyring, previous: { via: 'InRelease', sha256: '0'.repeat(64) } });
    assert.equal(changed.notModified, false);
    assert.equal(keyringReads, 1);
  });

  test('a 304 does not revive a Release that has expired since', async () => {
    await writeSignedDist(root, 'expiring', files, { gpg, signer: archiveKey, validUntil: new Date(Date.now() + DAY) });
    const r = await fetchRelease({ client, baseUrl: server.url, dist: 'expiring', keyring });
    assert.ok(!r.notModified);
    await assert.rejects(
      fetchRelease({ client, baseUrl: server.url, dist: 'expiring', keyring, now: new Date(Date.now() + 2 * DAY), previous: { via: 'InRelease', etag: r.etag, validUntil: r.release.validUntil } }),
      rejectsWith('DEBSTASH_E_RELEASE_STALE', /unchanged upstream, but the Release we have expired/),
    );
  });

  test('falls back to Release + Release.gpg when there is no InRelease', async () => {
    const dist = await writeSignedDist(root, 'detached', files, { gpg, signer: archiveKey, inRelease: false });
    const r = await fetchRelease({ client, baseUrl: server.url, dist: 'detached', keyring });
    assert.ok(!r.notModified);
    assert.equal(r.via, 'Release');
    assert.equal(r.releaseSha256, sha256Hex(Buffer.from(dist.release)));
    assert.equal(r.release.codename, 'detached');
    assert.deepEqual(
      server.requests.map((q) => q.path),
      ['/dists/detached/InRelease', '/dists/detached/Release', '/dists/detached/Release.gpg'],
    );
    const again = await fetchRelease({ client, baseUrl: server.url, dist: 'detached', keyring, previous: { via: 'Release', lastModified: r.lastModified } });
    assert.equal(again.notModified, true);
  });

  test('no InRelease and no Release.gpg: not signed', async () => {
    await writeSignedDist(root, 'unsigned', files, { gpg, signer: archiveKey, inRelease: false, releaseGpg: false });
    await assert.rejects(fetchRelease({ client, baseUrl: server.url, dist: 'unsigned', keyring }), rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /not signed/));
  });

  test('a bad InRelease signature is an error, not a reason to fall back to Release', async () => {
    const dist = await writeSignedDist(root, 'tampered', files, { gpg, signer: archiveKey });
    server.inject('/dists/tampered/InRelease', { body: Buffer.from((dist.inRelease ?? '').toString().replace('Origin: Debstash Test', 'Origin: Evil Test')) });
    await assert.rejects(fetchRelease({ client, baseUrl: server.url, dist: 'tampered', keyring }), rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', /dists\/tampered\/InRelease: bad signature/));
    assert.equal(server.count('/dists/tampered/Release'), 0);
  });

  test('an InRelease signed by a key not in the keyring', async () => {
    await writeSignedDist(root, 'stranger', files, { gpg, signer: otherKey });
    await assert.rejects(fetchRelease({ client, baseUrl: server.url, dist: 'stranger', keyring }), rejectsWith('DEBSTASH_E_SIGNATURE_UNKNOWN_KEY', /not in the keyring \(archive\.gpg\)/));
  });

  test('a Release past its Valid-Until is stale', async () => {
    await writeSignedDist(root, 'stale', files, { gpg, signer: archiveKey, date: new Date(Date.now() - 10 * DAY), validUntil: new Date(Date.now() - DAY) });
    await assert.rejects(fetchRelease({ client, baseUrl: server.url, dist: 'stale', keyring }), rejectsWith('DEBSTASH_E_RELEASE_STALE', /InRelease: expired at .* \(Valid-Until\)/));
  });

  test('a Release dated in the future is refused', async () => {
    await writeSignedDist(root, 'future', files, { gpg, signer: archiveKey, date: new Date(Date.now() + DAY) });
    await assert.rejects(fetchRelease({ client, baseUrl: server.url, dist: 'future', keyring }), rejectsWith('DEBSTASH_E_RELEASE_STALE', /in the future/));
  });

  test('upstream trouble on InRelease is retried, and a lasting one reported', async () => {
    await writeSignedDist(root, 'flaky', files, { gpg, signer: archiveKey });
    server.inject('/dists/flaky/InRelease', { status: 503, times: 1 });
    const r = await fetchRelease({ client, baseUrl: server.url, dist: 'flaky', keyring });
    assert.equal(r.notModified, false);
    server.inject('/dists/flaky/InRelease', { status: 500 });
    await assert.rejects(fetchRelease({ client, baseUrl: server.url, dist: 'flaky', keyring }), rejectsWith('DEBSTASH_E_UPSTREAM_HTTP', /HTTP 500/));
    assert.equal(server.count('/dists/flaky/Release'), 0);
  });

  test('reads a file: archive', async () => {
    const dist = await writeSignedDist(root, 'local', files, { gpg, signer: archiveKey });
    const r = await fetchRelease({ client, baseUrl: pathToFileURL(root).href, dist: 'local', keyring });
    assert.ok(!r.notModified);
    assert.equal(r.releaseSha256, sha256Hex(dist.inRelease ?? Buffer.alloc(0)));
    await unlink(join(dist.dir, 'InRelease'));
    const viaRelease = await fetchRelease({ client, baseUrl: pathToFileURL(root).href, dist: 'local', keyring });
    assert.ok(!viaRelease.notModified);
    assert.equal(viaRelease.via, 'Release');
  });
});
