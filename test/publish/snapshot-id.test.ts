/** apt's snapshot IDs, the generation an ID names, and the Snapshots: template (pure). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRelease } from '../../src/deb/release.js';
import type { Generation } from '../../src/publish/publish-state.js';
import { releaseText } from '../../src/publish/release-text.js';
import { generationAt, parseSnapshotId, snapshotId } from '../../src/publish/snapshot-id.js';
import { normalizePublicUrl, snapshotsTemplate } from '../../src/publish/snapshots-template.js';
import { isCode } from '../helpers/coded-error.js';

test('an ID is the UTC second of a date, YYYYMMDDTHHMMSSZ, and reads back', () => {
  assert.equal(snapshotId(new Date('2026-03-04T05:06:07.890Z')), '20260304T050607Z');
  assert.equal(snapshotId(new Date('1999-12-31T23:59:59Z')), '19991231T235959Z');
  assert.deepEqual(parseSnapshotId('20260304T050607Z'), new Date('2026-03-04T05:06:07Z'));
  for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 7_777_777_000) {
    const d = new Date(t);
    assert.equal(parseSnapshotId(snapshotId(d))?.getTime(), Math.floor(t / 1000) * 1000);
  }
});

test('malformed IDs and times that do not exist are refused', () => {
  for (const bad of ['', '20260304', '20260304T0506Z', '20260304T050607', '20260304t050607z', '2026-03-04T05:06:07Z', '20260230T000000Z', '20261301T000000Z', '20260101T240000Z', '20260101T006000Z', ' 20260101T000000Z', '20260101T000000Z/', '+20260101T000000Z']) {
    assert.equal(parseSnapshotId(bad), undefined, bad);
  }
  assert.deepEqual(parseSnapshotId('20240229T000000Z'), new Date('2024-02-29T00:00:00Z'));
});

const gen = (id: number, date: string): Generation => ({ id, date, releaseSha256: String(id).repeat(64).slice(0, 64), files: {}, codec: 'c', chunks: {}, pool: null });

test('an ID names the last generation published at or before it', () => {
  const gens = [gen(1, '2026-01-01T10:00:00.000Z'), gen(2, '2026-01-01T11:00:00.000Z'), gen(3, '2026-01-01T11:00:00.000Z'), gen(4, '2026-01-02T00:00:00.000Z')];
  const at = (id: string): number | undefined => generationAt(gens, parseSnapshotId(id) as Date)?.id;
  assert.equal(at('20260101T095959Z'), undefined, 'before the first');
  assert.equal(at('20260101T100000Z'), 1, 'exactly the first');
  assert.equal(at('20260101T105959Z'), 1);
  assert.equal(at('20260101T110000Z'), 3, 'two in one second: the later');
  assert.equal(at('20260101T235959Z'), 3);
  assert.equal(at('20260102T000000Z'), 4);
  assert.equal(at('29991231T235959Z'), 4, 'the future: the current one');
  assert.equal(generationAt([], new Date()), undefined);
});

test('the template replaces the source URI: public URL, /snapshots/@SNAPSHOTID@, then the prefix', () => {
  assert.equal(snapshotsTemplate('http://mirror.internal:8080', ''), 'http://mirror.internal:8080/snapshots/@SNAPSHOTID@/');
  assert.equal(snapshotsTemplate('https://apt.example.invalid/base', 'debian/edge'), 'https://apt.example.invalid/base/snapshots/@SNAPSHOTID@/debian/edge/');
});

test('the public URL is an absolute http(s) base, normalized, or a coded error', () => {
  assert.equal(normalizePublicUrl('http://mirror.internal:8080/', 'x'), 'http://mirror.internal:8080');
  assert.equal(normalizePublicUrl('HTTPS://Mirror.Internal/apt//', 'x'), 'https://mirror.internal/apt');
  assert.equal(normalizePublicUrl('http://[::1]:8080', 'x'), 'http://[::1]:8080');
  for (const bad of ['mirror.internal:8080', '/apt', 'ftp://mirror.internal', 'http://u:p@mirror.internal', 'http://mirror.internal/?a=1', 'http://mirror.internal/#x', 'http://mirror.internal/a b', '']) {
    assert.throws(() => normalizePublicUrl(bad, 'server.public_url'), isCode('DEBSTASH_E_PUBLIC_URL', /server\.public_url/), bad);
  }
});

test('Release carries Snapshots: when given one, and parses as apt reads it', () => {
  const files = new Map([['main/binary-amd64/Packages', { size: 1, md5: 'a', sha256: 'b'.repeat(64), sha512: 'c'.repeat(128) }]]);
  const base = { meta: { suite: 'stable', codename: 'trixie' }, date: new Date('2026-01-01T00:00:00Z'), architectures: ['amd64'], components: ['main'], files, md5: false };
  const template = snapshotsTemplate('http://127.0.0.1:8080', 'p');
  const text = releaseText({ ...base, snapshots: template });
  assert.match(text, /^Snapshots: http:\/\/127\.0\.0\.1:8080\/snapshots\/@SNAPSHOTID@\/p\/$/m);
  assert.equal(parseRelease(text, { source: 'test' }).paragraph.get('Snapshots'), template);
  assert.doesNotMatch(releaseText(base), /^Snapshots:/m);
});
