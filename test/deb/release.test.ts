import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { checkReleaseTimes, parseRelease, parseReleaseDate, pickIndexVariant } from '../../src/deb/release.js';
import { rejectsWith } from '../helpers/coded-error.js';

const H1 = 'a'.repeat(64);
const H2 = 'B'.repeat(64);
const H3 = 'c'.repeat(64);

function release(fields: Record<string, string | undefined> = {}): string {
  const base: Record<string, string | undefined> = {
    Origin: 'Debian',
    Label: 'Debian',
    Suite: 'stable',
    Version: '12.5',
    Codename: 'bookworm',
    Date: 'Sat, 10 Feb 2024 10:00:00 UTC',
    'Valid-Until': undefined,
    'Acquire-By-Hash': 'yes',
    Architectures: 'all amd64 arm64',
    Components: 'main contrib',
    Description: 'Debian 12.5',
    MD5Sum: `\n ${'d'.repeat(32)} 100 main/binary-amd64/Packages`,
    SHA256: `\n ${H1}   100 main/binary-amd64/Packages\n ${H2}    40 main/binary-amd64/Packages.gz\n ${H3}    30 main/binary-amd64/Packages.xz`,
    ...fields,
  };
  return Object.entries(base)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}:${v?.startsWith('\n') ? '' : ' '}${v}`)
    .join('\n');
}

describe('parseRelease', () => {
  test('reads the fields apt uses and the SHA256 section', () => {
    const r = parseRelease(release(), { source: 'http://x/dists/bookworm/InRelease' });
    assert.equal(r.origin, 'Debian');
    assert.equal(r.label, 'Debian');
    assert.equal(r.suite, 'stable');
    assert.equal(r.codename, 'bookworm');
    assert.equal(r.version, '12.5');
    assert.equal(r.date.toISOString(), '2024-02-10T10:00:00.000Z');
    assert.equal(r.validUntil, undefined);
    assert.deepEqual(r.architectures, ['all', 'amd64', 'arm64']);
    assert.deepEqual(r.components, ['main', 'contrib']);
    assert.equal(r.acquireByHash, true);
    assert.equal(r.sha256.size, 3);
    assert.deepEqual(r.sha256.get('main/binary-amd64/Packages.gz'), { path: 'main/binary-amd64/Packages.gz', size: 40, sha256: 'b'.repeat(64) });
    assert.equal(r.sha512, undefined);
    assert.equal(r.paragraph.get('Description'), 'Debian 12.5');
  });

  test('reads Valid-Until, SHA512 and a missing Acquire-By-Hash', () => {
    const r = parseRelease(
      release({
        'Valid-Until': 'Sat, 17 Feb 2024 10:00:00 UTC',
        'Acquire-By-Hash': undefined,
        SHA512: `\n ${'e'.repeat(128)} 100 main/binary-amd64/Packages`,
      }),
    );
    assert.equal(r.validUntil?.toISOString(), '2024-02-17T10:00:00.000Z');
    assert.equal(r.acquireByHash, false);
    assert.equal(r.sha512?.get('main/binary-amd64/Packages')?.sha512, 'e'.repeat(128));
  });

  test('refuses a Release apt would not use, naming the source', () => {
    const src = { source: 'R' };
    assert.throws(() => parseRelease(release({ Date: undefined }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /^R: has no Date/));
    assert.throws(() => parseRelease(release({ Date: 'yesterday' }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /Date "yesterday"/));
    assert.throws(() => parseRelease(release({ SHA256: undefined }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /no SHA256/));
    assert.throws(() => parseRelease(release({ SHA256: '' }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /empty SHA256/));
    assert.throws(() => parseRelease(release({ SHA256: `\n ${H1} 100` }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /not "hash size path"/));
    assert.throws(() => parseRelease(release({ SHA256: `\n abc 100 x` }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /64-digit hex/));
    assert.throws(() => parseRelease(release({ SHA256: `\n ${H1} -1 x` }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /valid size/));
    assert.throws(() => parseRelease(release({ SHA256: `\n ${H1} 1 x\n ${H3} 1 x` }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /twice/));
    assert.throws(() => parseRelease(release({ 'Valid-Until': 'soon' }), src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /Valid-Until "soon"/));
    assert.throws(() => parseRelease('', src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /empty/));
    assert.throws(() => parseRelease(`${release()}\n\nOrigin: again`, src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /2 paragraphs/));
    assert.throws(() => parseRelease('not deb822', src), rejectsWith('DEBSTASH_E_RELEASE_INVALID', /not a deb822/));
  });

  test('reads the real bookworm InRelease of this machine, when there is one', (t) => {
    const dir = '/var/lib/apt/lists';
    let name: string | undefined;
    try {
      name = readdirSync(dir).find((n) => n.endsWith('_dists_bookworm_InRelease'));
    } catch {
      name = undefined;
    }
    if (name === undefined) {
      t.skip('no bookworm InRelease in /var/lib/apt/lists');
      return;
    }
    const signed = splitClearsigned(readFileSync(`${dir}/${name}`), name).signed;
    const r = parseRelease(Buffer.from(signed).toString('utf8'), { source: name });
    assert.equal(r.codename, 'bookworm');
    assert.equal(r.acquireByHash, true);
    assert.ok(r.components.includes('main'));
    assert.equal(pickIndexVariant(r, 'main/binary-amd64/Packages').path, 'main/binary-amd64/Packages.xz');
    assert.ok(r.sha256.size > 100);
  });
});

describe('parseReleaseDate', () => {
  test('reads the forms apt reads', () => {
    const iso = (s: string): string | undefined => parseReleaseDate(s)?.toISOString();
    assert.equal(iso('Sat, 11 Jul 2026 10:16:37 UTC'), '2026-07-11T10:16:37.000Z');
    assert.equal(iso('Sat, 11 Jul 2026 10:16:37 GMT'), '2026-07-11T10:16:37.000Z');
    assert.equal(iso('Sat,  1 Jul 2026 10:16:37 Z'), '2026-07-01T10:16:37.000Z');
    assert.equal(iso('Sat, 11 Jul 2026 10:16:37 +0000'), '2026-07-11T10:16:37.000Z');
    assert.equal(iso('Sat, 11 Jul 2026 12:16:37 +0200'), '2026-07-11T10:16:37.000Z');
    assert.equal(iso('Sat Jul 11 10:16:37 2026'), '2026-07-11T10:16:37.000Z');
    assert.equal(iso('Sunday, 06-Nov-94 08:49:37 GMT'), '1994-11-06T08:49:37.000Z');
  });

  test('refuses anything else', () => {
    for (const s of ['', '2026-07-11T10:16:37Z', 'Sat, 11 Jul 2026 10:16:37 CEST', 'Xyz, 11 Jul 2026 10:16:37 UTC', 'Sat, 31 Feb 2026 10:16:37 UTC', 'Sat, 11 Foo 2026 10:16:37 UTC', 'Sat, 11 Jul 2026 25:16:37 UTC']) {
      assert.equal(parseReleaseDate(s), undefined, s);
    }
  });
});

describe('checkReleaseTimes', () => {
  const r = parseRelease(release({ Date: 'Sat, 10 Feb 2024 10:00:00 UTC', 'Valid-Until': 'Sat, 17 Feb 2024 10:00:00 UTC' }), { source: 'R' });

  test('accepts a Release between Date (with skew) and Valid-Until', () => {
    checkReleaseTimes(r, new Date('2024-02-12T00:00:00Z'));
    checkReleaseTimes(r, new Date('2024-02-10T09:59:30Z'));
  });

  test('refuses a Release past Valid-Until', () => {
    assert.throws(() => checkReleaseTimes(r, new Date('2024-02-17T10:00:00Z')), rejectsWith('DEBSTASH_E_RELEASE_STALE', /^R: expired at 2024-02-17T10:00:00.000Z \(Valid-Until\)/));
  });

  test('refuses a Date further in the future than the skew', () => {
    assert.throws(() => checkReleaseTimes(r, new Date('2024-02-10T09:58:59Z')), rejectsWith('DEBSTASH_E_RELEASE_STALE', /Date 2024-02-10T10:00:00.000Z is 61 s in the future/));
    checkReleaseTimes(r, new Date('2024-02-10T09:58:59Z'), { maxFutureSkewS: 3600 });
  });

  test('applies a maximum age even without Valid-Until', () => {
    const noUntil = parseRelease(release(), { source: 'R' });
    checkReleaseTimes(noUntil, new Date('2030-01-01T00:00:00Z'));
    assert.throws(() => checkReleaseTimes(noUntil, new Date('2024-02-11T10:00:00Z'), { maxAgeS: 86_400 }), rejectsWith('DEBSTASH_E_RELEASE_STALE', /maximum age/));
    assert.throws(() => checkReleaseTimes(r, new Date('2024-02-12T10:00:00Z'), { maxAgeS: 86_400 }), rejectsWith('DEBSTASH_E_RELEASE_STALE', /maximum age/));
  });
});

describe('pickIndexVariant', () => {
  test('prefers xz, then gz, then bz2, zst, uncompressed, among the listed files', () => {
    const r = parseRelease(release());
    assert.deepEqual(pickIndexVariant(r, 'main/binary-amd64/Packages'), {
      path: 'main/binary-amd64/Packages.xz',
      compression: 'xz',
      entry: { path: 'main/binary-amd64/Packages.xz', size: 30, sha256: H3 },
    });
    const noXz = parseRelease(release({ SHA256: `\n ${H1} 100 main/binary-amd64/Packages\n ${H2} 40 main/binary-amd64/Packages.bz2\n ${H3} 1 main/binary-amd64/Packages.zst` }));
    assert.equal(pickIndexVariant(noXz, 'main/binary-amd64/Packages').compression, 'bzip2');
    const plain = parseRelease(release({ SHA256: `\n ${H1} 100 main/binary-amd64/Packages` }));
    assert.equal(pickIndexVariant(plain, 'main/binary-amd64/Packages').compression, 'none');
  });

  test('an index the Release does not list is DEBSTASH_E_INDEX_MISSING', () => {
    const r = parseRelease(release({ SHA256: `\n ${H1} 100 main/binary-amd64/Packages.lz4` }), { source: 'R' });
    assert.throws(() => pickIndexVariant(r, 'main/binary-arm64/Packages'), rejectsWith('DEBSTASH_E_INDEX_MISSING', /^R does not list main\/binary-arm64\/Packages$/));
    assert.throws(() => pickIndexVariant(r, 'main/binary-amd64/Packages'), rejectsWith('DEBSTASH_E_INDEX_MISSING', /only as \.lz4/));
  });
});
