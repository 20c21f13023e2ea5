/**
 * compareVersions and parseVersion against dpkg itself: libdpkg's parseversion and
 * dpkg_version_compare (through test/helpers/dpkg-vercmp.c) on tens of thousands of pairs of
 * real versions from this machine's APT lists, and the dpkg binary on a sample.
 * Needs gcc, pkg-config and libdpkg-dev; skips when they or the APT lists are missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';

import { compareVersions, parseVersion } from '../../src/deb/version.js';
import {
  buildDpkgVercmp,
  readAptListVersions,
  type AptVersions,
  type DpkgVercmp,
  type OracleResult,
  type ParseStatus,
} from '../helpers/dpkg-oracle.js';
import { fuzzParams } from '../helpers/fuzz-params.js';
import { seededRandom } from '../helpers/seeded-random.js';

type Pair = readonly [string, string];

// Edge cases, including what dpkg only warns about and what it rejects. Not here: what we
// knowingly refuse although dpkg accepts it (signed epochs, control and non-ASCII characters),
// which version.test.ts pins instead.
const EDGE = [
  '0', '00', '0:0', '00:0-0', '1', '1.0', '1.00', '1.01', '1.0-0', '1.0-00', '1.0-1', '1.0-1.1',
  '1.0~', '1.0~~', '1.0~~a', '1.0~rc1', '1.0~rc1-1', '1.0a', '1.0A', '1.0+', '1.0.', '1.0-',
  '1.0+dfsg-1', '1.0-1+b1', '1.0-1~bpo12+1', '1.0-2-3', '1:0', '1:1.0', '2:0.1', '1:2:3',
  '1:2:3-4', '2147483647:1', '2147483648:1', '1:', ':1', 'a:1', '1.0-1:1', '-1', '1:-1', '',
  ' 1.0', '1.0 ', '1 0', '~', '~~', '~1', 'a', 'a1', 'Z', '1.0_1', '1.0@', '1.0-1_1', '1.0-a',
  '1.0-~', '1.18446744073709551616', '1.18446744073709551615', '1.9007199254740993',
  '1.9007199254740992', '123456789012345678901234567890', '1.0000000000000000000000000001',
  '99999999999999999999', '100000000000000000000', '1..0', '1.0--1', '1-1-1', '9:', '0:-0',
];

function ourStatus(v: string): ParseStatus {
  try {
    parseVersion(v, true);
    return 'ok';
  } catch {
    try {
      parseVersion(v);
      return 'warn';
    } catch {
      return 'err';
    }
  }
}

/** Returns a description of each disagreement (at most `limit`) and how many pairs were checked. */
function disagreements(pairs: readonly Pair[], expected: readonly OracleResult[], limit = 20): string[] {
  const out: string[] = [];
  const status = new Map<string, ParseStatus>();
  const statusOf = (v: string): ParseStatus => {
    let s = status.get(v);
    if (s === undefined) {
      s = ourStatus(v);
      status.set(v, s);
    }
    return s;
  };
  for (let i = 0; i < pairs.length && out.length < limit; i++) {
    const [a, b] = pairs[i];
    const want = expected[i];
    const sa = statusOf(a);
    const sb = statusOf(b);
    if (sa !== want.a || sb !== want.b) {
      out.push(`${JSON.stringify(a)} / ${JSON.stringify(b)}: parse status ours ${sa}/${sb}, dpkg ${want.a}/${want.b}`);
      continue;
    }
    if (want.cmp === undefined) continue;
    const got = compareVersions(a, b);
    if (got !== want.cmp) out.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: ours ${got}, dpkg ${want.cmp}`);
  }
  return out;
}

/** Real-version pairs: sorted neighbours, same-package pairs and fixed-seed random pairs. */
function realPairs(apt: AptVersions): Pair[] {
  const pairs: Pair[] = [];
  const sorted = [...apt.versions].sort();
  for (let i = 1; i < sorted.length; i++) pairs.push([sorted[i - 1], sorted[i]]);
  for (const list of apt.byPackage.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) pairs.push([list[i], list[j]]);
    }
  }
  const random = seededRandom(0xdeb5);
  const n = apt.versions.length;
  for (let i = 0; i < 20_000; i++) {
    pairs.push([apt.versions[Math.floor(random() * n)], apt.versions[Math.floor(random() * n)]]);
  }
  return pairs;
}

// Small edits of real versions land on the boundaries: near-equal pairs, tildes, empty parts,
// stray characters that dpkg warns about or rejects.
const EDIT_CHARS = '0123456789~+.-:abzAZ_ ';

function mutatedPairs(apt: AptVersions, count: number): Pair[] {
  const random = seededRandom(0x5eed);
  const pick = (s: string): string => s[Math.floor(random() * s.length)];
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const v = apt.versions[Math.floor(random() * apt.versions.length)];
    let w = v;
    for (let k = 1 + Math.floor(random() * 2); k > 0; k--) {
      const at = Math.floor(random() * (w.length + 1));
      const kind = random();
      if (kind < 0.4) w = w.slice(0, at) + pick(EDIT_CHARS) + w.slice(at);
      else if (kind < 0.7) w = w.slice(0, at) + pick(EDIT_CHARS) + w.slice(at + 1);
      else if (kind < 0.85) w = w.slice(0, at) + w.slice(at + 1);
      else w = w.slice(0, at) + '0'.repeat(1 + Math.floor(random() * 25)) + w.slice(at);
    }
    // dpkg reads the epoch with strtol, which takes a sign ("+1:", "-0:"); we refuse those.
    if (/^\s*[+-]\d+:/.test(w)) continue;
    pairs.push([v, w]);
  }
  return pairs;
}

/**
 * Versions from a small alphabet, so equal, near-equal and invalid ones are all frequent, with
 * the same exclusion as above. Seeded by fast-check: FUZZ_SEED explores other pairs.
 */
function generatedPairs(count: number): Pair[] {
  const part = (chars: string, max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...chars), maxLength: max });
  const version = fc.oneof(
    fc.tuple(fc.constantFrom('', '0:', '1:', '10:'), fc.constantFrom('0', '1', '9'), part('0129.~+aZz', 8), fc.constantFrom('', '-1', '-0.1', '-a~1', '-1+b1')).map((p) => p.join('')),
    part('0123456789~+.-:aZz', 12),
  );
  const pair = fc.tuple(version, version).map(([a, b]): Pair => [a.replace(/^[+-]+(?=\d+:)/, ''), b.replace(/^[+-]+(?=\d+:)/, '')]);
  return fc.sample(pair, { seed: fuzzParams(20261208).seed, numRuns: count });
}

describe('compareVersions against dpkg', () => {
  let oracle: DpkgVercmp | undefined;
  let apt: AptVersions | undefined;
  let skipWhy = '';

  before(() => {
    const built = buildDpkgVercmp();
    if ('skip' in built) {
      skipWhy = built.skip;
      return;
    }
    oracle = built;
    const lists = readAptListVersions();
    if ('skip' in lists) skipWhy = lists.skip;
    else apt = lists;
  });

  after(() => oracle?.cleanup());

  test('the libdpkg helper answers like dpkg', (t) => {
    if (!oracle) return t.skip(skipWhy);
    const got = oracle.compare([
      ['1.0~rc1', '1.0'],
      ['1:0', '9'],
      ['1.0', '1.0-0'],
      ['a1', '1'],
      ['1:', '1'],
    ]);
    assert.deepEqual(got, [
      { cmp: -1, a: 'ok', b: 'ok' },
      { cmp: 1, a: 'ok', b: 'ok' },
      { cmp: 0, a: 'ok', b: 'ok' },
      { cmp: 1, a: 'warn', b: 'ok' },
      { cmp: undefined, a: 'err', b: 'ok' },
    ]);
  });

  test('hand-picked edge cases, every pair', (t) => {
    if (!oracle) return t.skip(skipWhy);
    const pairs: Pair[] = EDGE.flatMap((a) => EDGE.map((b): Pair => [a, b]));
    assert.deepEqual(disagreements(pairs, oracle.compare(pairs)), []);
    t.diagnostic(`${pairs.length} pairs`);
  });

  test('real versions from the APT lists: at least 20,000 pairs', (t) => {
    if (!oracle || !apt) return t.skip(skipWhy);
    const pairs = realPairs(apt);
    assert.ok(pairs.length >= 20_000, `only ${pairs.length} pairs`);
    assert.deepEqual(disagreements(pairs, oracle.compare(pairs)), []);
    t.diagnostic(`${pairs.length} pairs from ${apt.versions.length} distinct versions in ${apt.files.length} lists`);
  });

  test('small edits of real versions, including invalid ones', (t) => {
    if (!oracle || !apt) return t.skip(skipWhy);
    const pairs = mutatedPairs(apt, 10_000);
    assert.deepEqual(disagreements(pairs, oracle.compare(pairs)), []);
    t.diagnostic(`${pairs.length} pairs`);
  });

  test('generated versions: at least 20,000 random pairs, valid and not', (t) => {
    if (!oracle) return t.skip(skipWhy);
    const pairs = generatedPairs(Number(process.env.FUZZ_RUNS ?? 10_000) * 2);
    assert.ok(pairs.length >= 20_000, `only ${pairs.length} pairs`);
    assert.deepEqual(disagreements(pairs, oracle.compare(pairs)), []);
    t.diagnostic(`${pairs.length} pairs`);
  });

  test('dpkg --compare-versions on 200 pairs', (t) => {
    if (!oracle || !apt) return t.skip(skipWhy);
    const dpkg = spawnSync('dpkg', ['--version'], { encoding: 'utf8' });
    if (dpkg.status !== 0) return t.skip('dpkg is not installed');
    const all = realPairs(apt).filter(([a, b]) => ourStatus(a) === 'ok' && ourStatus(b) === 'ok');
    const ops = ['lt', 'eq', 'gt', 'le', 'ge'] as const;
    const holds = { lt: (c: number) => c < 0, eq: (c: number) => c === 0, gt: (c: number) => c > 0, le: (c: number) => c <= 0, ge: (c: number) => c >= 0 };
    const wrong: string[] = [];
    const n = Math.min(200, all.length);
    for (let i = 0; i < n; i++) {
      // Spread over the list, and make every third pair an equal one so "eq" is exercised.
      let [a, b] = all[Math.floor((i * all.length) / n)];
      if (i % 3 === 1) b = a;
      const op = ops[i % ops.length];
      const r = spawnSync('dpkg', ['--compare-versions', a, op, b], { encoding: 'utf8' });
      assert.ok(r.status === 0 || r.status === 1, `dpkg --compare-versions ${a} ${op} ${b}: ${r.stderr}`);
      const want = r.status === 0;
      if (holds[op](compareVersions(a, b)) !== want) wrong.push(`${a} ${op} ${b}: dpkg says ${want}`);
    }
    assert.deepEqual(wrong, []);
    t.diagnostic(`${n} dpkg invocations`);
  });
});
