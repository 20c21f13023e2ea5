/**
 * Parity with real aptly: a repository of small packages built with dpkg-deb (and one source
 * package built with dpkg-source) is loaded into an aptly local repo, and every query below must
 * select the same name_version_arch set with `aptly repo search` as with debstash over the same
 * packages' paragraphs (dpkg-scanpackages output and the .dsc). Queries aptly rejects must be
 * rejected here too. Skips when aptly, dpkg-deb, dpkg-scanpackages or dpkg-source is missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { Paragraph } from '../../src/deb/paragraph.js';
import { isDebstashError } from '../../src/errors/debstash-error.js';
import { compileQuery } from '../../src/query/compile-query.js';
import { parseQuery } from '../../src/query/parse-query.js';
import { queryTargetFromParagraph, type QueryTarget } from '../../src/query/query-target.js';

const run = promisify(execFile);

interface FixturePackage {
  readonly name: string;
  readonly version: string;
  readonly arch: 'amd64' | 'i386' | 'all';
  /** Control lines after Package/Version/Architecture/Maintainer, written as is. */
  readonly lines?: readonly string[];
  /** Description, continuation lines included; default `test package NAME`. */
  readonly description?: string;
  readonly udeb?: boolean;
}

const PACKAGES: readonly FixturePackage[] = [
  { name: 'alpha', version: '1.0-1', arch: 'amd64', lines: ['Priority: required', 'Section: libs', 'Provides: virt-a, virt-b (= 2.0)', 'Depends: libc6 (>= 2.34)'] },
  { name: 'alpha', version: '1.0-1', arch: 'i386', lines: ['Priority: required', 'Section: libs', 'Provides: virt-a'] },
  { name: 'alpha', version: '1.2-1', arch: 'amd64', lines: ['Priority: required', 'Section: libs'] },
  { name: 'alpha-doc', version: '1.0-1', arch: 'all', lines: ['Priority: optional', 'Section: doc', 'Source: alpha'] },
  { name: 'beta', version: '2:1.0~rc1-1', arch: 'all', lines: ['Priority: optional', 'Section: misc', 'Source: betasrc (3.0-2)'] },
  { name: 'gamma', version: '1.5', arch: 'i386', lines: ['Priority: optional', 'Source: gammasrc', 'Provides: virt-b (= 1.5)'] },
  { name: 'delta', version: '1.0~beta1', arch: 'amd64', lines: ['Section: net', 'Multi-Arch: same'] },
  { name: 'delta', version: '1.0', arch: 'i386', lines: ['Section: net', 'Multi-Arch: same'] },
  { name: 'epsilon', version: '1:0.9', arch: 'amd64', lines: ['Priority: important', 'Section: admin'] },
  { name: 'zeta', version: '0.9-2ubuntu1', arch: 'amd64', lines: ['Priority: standard', 'Section: utils'] },
  { name: 'eta', version: '10.0', arch: 'all', lines: ['Priority: extra', 'Section: contrib/net'] },
  { name: 'theta', version: '2.0+dfsg-1', arch: 'amd64', lines: ['Priority: optional', 'Section: mail', 'Provides: mail-transport-agent'] },
  { name: 'kappa', version: '3.0', arch: 'amd64', lines: ['Provides: virt-c (= 3.0), virt-a'] },
  { name: 'lambda', version: '0.1', arch: 'amd64', lines: ['Essential: yes', 'Priority: required', 'Section: admin'] },
  { name: 'mu', version: '1.0', arch: 'amd64', lines: ['Priority: optional', 'Source: musrc (0.9)'] },
  { name: 'nu', version: '1.0', arch: 'amd64', description: 'first line\n second line\n .\n third line' },
  { name: 'xi', version: '2.3.4-1', arch: 'i386', lines: ['Priority: standard'] },
  { name: 'omicron', version: '4.0~~', arch: 'amd64' },
  { name: 'pi', version: '1.0', arch: 'amd64', lines: ['priority: optional', 'section: utils'] },
  { name: 'rho', version: '1.0', arch: 'amd64', lines: ['Depends: alpha (>= 1.0), virt-a | virt-b'] },
  { name: 'sigma', version: '1:2.0-1', arch: 'amd64', lines: ['Provides: virt-d (= 1:2.0)'] },
  { name: 'tau', version: '5', arch: 'all', lines: ['Multi-Arch: foreign', 'Section: oldlibs'] },
  { name: 'upsilon', version: '1.0', arch: 'amd64', lines: ['Priority: required', 'Section: libs', 'Multi-Arch: allowed'] },
  { name: 'phi', version: '1.0', arch: 'amd64', lines: ['X-Custom-Field: Hello World'] },
  { name: 'libfoo++1', version: '1.0', arch: 'amd64', lines: ['Section: libs'] },
  { name: 'lib.dot', version: '1.0', arch: 'i386' },
  { name: 'omega', version: '0', arch: 'amd64' },
  { name: 'iota', version: '1.0-2-3', arch: 'amd64' },
  { name: 'libbar1', version: '1.0-3', arch: 'amd64', lines: ['Source: bar', 'Section: libs'] },
  { name: 'libbar-dev', version: '1.0-3', arch: 'amd64', lines: ['Source: bar', 'Section: libdevel', 'Depends: libbar1 (= 1.0-3)'] },
  { name: 'bar-utils', version: '1.0-3+b1', arch: 'i386', lines: ['Source: bar (1.0-3)'] },
  { name: 'dummy-transitional', version: '1.0', arch: 'all', lines: ['Section: oldlibs', 'Priority: optional', 'Depends: theta'] },
  { name: 'chi', version: '1.0', arch: 'amd64', lines: ['Priority: optional', 'Depends: alpha,', ' beta'] },
  { name: 'di-alpha', version: '1.0', arch: 'amd64', lines: ['Section: debian-installer', 'Priority: standard'], udeb: true },
  { name: 'di-beta', version: '1.1', arch: 'all', lines: ['Section: debian-installer', 'Provides: virt-a'], udeb: true },
  { name: 'psi', version: '1.0', arch: 'amd64' },
];

/**
 * One odd string per package in an `X-Probe` field, so that aptly serves as an oracle for Go's
 * regexp and filepath.Match semantics (each pattern selects the packages whose probe matches).
 */
const PROBES: readonly string[] = [
  'abc', 'ABC', 'a.c', 'a-c', 'foo123', '123', 'a b', 'a\tb', 'ümlaut', '日本語', '𝔸x', 'aa', 'aaa',
  'x]y', 'x}y', '{2}', 'café', '\u212a', 'k', 'ſ', 'S', 'x\u2028y', 'a/b/c', '[x]', '(p)', '*star',
  'dollar$', '^caret', 'back\\slash', 'Ωmega', '~tilde', 'x\u00a0y', 'x\u000by', 'CamelCase', 'a_b',
  'aa/c',
];

const REGEXPS: readonly string[] = [
  '^a.c$', 'a\\.c', '\\d+', '^\\d+$', '^\\w+$', '\\s', '^\\S+$', '^[[:alpha:]]+$', '[[:^alnum:]]',
  '^\\pL+$', '\\p{Han}', '\\p{Greek}', '^\\PL', '^[^a-z]', '(?i)abc', '(?i)^k$', '(?i)^s$', 'x.y',
  '(?s)x.y', 'a{2}', '^a{2,}$', '^a{1,2}$', 'a{,2}', '{2}', 'x]y', 'x}y', '\\{', '\\Q*star\\E',
  '\\x{65e5}', '^\\x41', '^\\101', '\\$$', '^\\^', 'caf\\x{e9}', '[\\d\\s]', 'a|^1', '\\bb\\b',
  '\\Bb', '^(?:a|b)+$', '(?P<x>a)b', '[a-]c', '[]x]', '^[^]x]', '^.x$', '\\Ax', '\\z', 'é',
  '^\\p{Lu}', '[\\p{Lu}\\d]', '[^\\s]y', '\\x{1D538}', '(?m)^b', '(?U)a+c', 'y$', '[[:space:]]',
  '\\\\', '^\\W', '(a)(b)?c', '^$|^aa$', '(?i)[^a-z]', '\\pN', '[\\PL]x', '(a{100}){10}', '(a{100}){11}',
  '(?)a', '^*a', 'a{01}', '(?m:^b)', '(?s:x.y)', '(?U:a+)c', '[\\S\\d]', '\\pC', '(?i)ABC|(?-s:.)x',
  '^a(?i)BC$', '^(?i:a)BC$', '^(?i)a(?-i)bc$', '(?i:K)$', '^(a+)+$', '(a|aa)+$', '^(\\w+\\s?)*$', '^a+?', '(?U)^a+?$',
];

const DESCRIPTION_REGEXPS: readonly string[] = [
  'omega$', '(?m)omega$', 'omega\\n', 'omega.', '(?s)omega.', 'omega\\z', 'omega\\n\\z', '^ test',
  '\\A test', '(?m)^ \\.$', 'line\\n \\.', '(?m)^ third line$', '(?s)^ first.*third line\\n$',
];

const GLOBS: readonly string[] = [
  '*', '?', '???', 'a?c', '[a-c]*', '[^a]*', '\\*star', '*/*', 'a/*', '*]*', '[x]', '\\[x\\]', 'caf?',
  '*é', '?x', '[[]x]', '*\\$', 'x?y', '[!a]*', '*[^/]', '[A-Z]*', '*[z-a]*', '[\\]]*', 'a\\/b*',
  '*a[^z]*c', '*a*a*a*', '*a*/*', 'a*a', '**b*', '*[a-c]', '*?/?', '日*??',
];

/** Queries both must answer alike: every operator, precedence, field kind and quoting style. */
const QUERIES: readonly string[] = [
  // fields, equality, existence, precedence of | , !
  'Priority (required)',
  'Priority (required) | Priority (important) | Priority (standard)',
  'Priority (required) | Priority (important) | Priority (standard) | rho | mail-transport-agent',
  'Section (libs), !Priority (required)',
  '!Priority (optional), $Architecture (amd64) | Section (doc)',
  '!Priority (optional), ($Architecture (amd64) | Section (doc))',
  '!(Priority (optional) | Priority (required))',
  '!!Priority (optional)',
  'Priority (optional) | Section (libs), Priority (required)',
  '(Priority (optional) | Section (libs)), Priority (required)',
  'Essential (yes)',
  'Multi-Arch',
  'Multi-Arch (same) | Multi-Arch (foreign)',
  'Priority',
  'priority (optional)',
  'PRIORITY (optional)',
  'Priority (optional)',
  'X-Custom-Field (% "Hello *")',
  'Source',
  // fields aptly hides or rewrites
  'Package (alpha)',
  'Name (alpha)',
  'Filename',
  'Size (>> 0)',
  'Depends (% *alpha*)',
  'Depends ("alpha, beta")',
  'Depends (~ "virt-a \\\\| virt-b")',
  'Provides',
  'Description (% "*second line*")',
  'Description (~ "^ test")',
  'Description (~ ^test)',
  'Description (% "* test package omega?")',
  // text comparisons on ordinary fields (byte order, not versions)
  'Version (>> 1.10)',
  'Version (<= 1)',
  'Section (< m)',
  'Section (>> m)',
  'Section (<= libs)',
  'Name (>> m)',
  // aptly compares every field with its version ordering, even for `=`
  'Name (alpha0)',
  'Priority (required0)',
  'Version (01.0-1)',
  'Source ("bar (01.0-3)")',
  // glob
  'Section (% contrib/*)',
  'Section (% *)',
  'Name (% lib*)',
  'Name (% [a-d]*)',
  'Name (% ?e*)',
  'Name (% [^a-m]*)',
  'Name (% *[.+]*)',
  'Name (% \\alpha)',
  // regexp
  'Name (~ ^lib.*[0-9]$)',
  'Name (~ "a|u")',
  "Name (~ 'p?h?i')",
  'Name (~ "^(alpha|beta)$")',
  'Name (~ ^[[:alpha:]]+$)',
  'Name (~ "\\\\pL\\\\.")',
  'Name (~ "(?i)ALPHA")',
  'Name (~ "^a(?i)LPHA$")',
  'Name (~ "^.{4}$")',
  'Name (~ "\\\\Qlibfoo++\\\\E")',
  'Version (~ "~{2}")',
  // $Version: dpkg ordering
  '$Version (>= 1.0)',
  '$Version (<< 1.0)',
  '$Version (> 1.0)',
  '$Version (< 1.0)',
  '$Version (>> 1:0)',
  '$Version (= 1.0)',
  '$Version (= 01.0)',
  '$Version (% 1.*)',
  '$Version (~ "~")',
  '$Version',
  '$Version (>> 1.0-3)',
  'iota (<< 1.0-2-4)',
  'Version (>> 1.0-2-2)',
  // dependency-style terms, Provides, {arch}
  'alpha',
  'alpha (>= 1.1)',
  'alpha (<< 1.2-1)',
  'alpha (= 1.0-1) {i386}',
  'alpha (1.0-1)',
  'alpha {amd64}',
  'alpha-doc {i386}',
  'alpha-doc {source}',
  'omicron (>> 4.0~~~)',
  'omicron (% 4*)',
  'omicron (~ "^4")',
  'virt-a',
  'virt-b',
  'virt-b (= 2.0)',
  'virt-a {i386}',
  'virt-a {amd64}',
  'mail-transport-agent',
  '"virt-b (= 2.0)"',
  'srcpkg',
  'srcpkg {source}',
  // package keys
  'alpha_1.0-1_i386',
  'beta_2:1.0~rc1-1_all',
  'srcpkg_1.0_source',
  'alpha_1.0_amd64',
  // special fields
  '$Source (bar)',
  '$Source (alpha)',
  '$Source (% *src)',
  '$Source',
  '$SourceVersion (3.0-2)',
  '$SourceVersion (1.0-3)',
  '$SourceVersion (1.0)',
  '$Architecture (amd64)',
  '$Architecture (all)',
  '$Architecture (source)',
  '$Architecture (i386), !$Architecture (% all)',
  '$Architecture (% i*)',
  '$Architecture (>> b)',
  '$Architecture',
  '$PackageType (udeb)',
  '$PackageType (deb), Section (debian-installer)',
  '$PackageType (source)',
  '$Unknown',
  'Architecture (any)',
  'Build-Depends (% *alpha*)',
  'Binary (srcpkg-bin)',
  'Package-List (% "*srcpkg-bin deb*")',
  // quoting and blanks
  '"Priority" (\'required\')',
  '  Priority\t(\n= required )\n|\tName (%"ze*")',
  'Name (% "*a*"), Name (~ "\\"")',
  'Name (= "alpha")|Name (=beta)',
];

/** Queries aptly refuses; debstash must refuse them as well. */
const REJECTED: readonly string[] = [
  '',
  'Priority(required)',
  'Priority (required',
  'Priority ()',
  '(alpha | beta',
  'alpha)',
  'alpha |',
  'alpha,',
  '!',
  'alpha >= 1',
  'alpha (>= 1.0',
  'alpha {amd64',
  'alpha {}',
  'Priority (required) {amd64}',
  'alpha_1.0-1_amd64 {amd64}',
  'Name (~ "(")',
  'Name (~ "a**")',
  'Name (~ "\\\\1")',
  '"unterminated',
  "Name ('x)",
  'Depends (alpha, beta)',
  'Name (~ ^.{4}$)',
  '$Version (~ ~)',
  'Name(%"ze*")',
  'Source (betasrc (3.0-2))',
];

function have(command: string, args: readonly string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

function controlText(p: FixturePackage, probe: string | undefined): string {
  const lines = [
    `Package: ${p.name}`,
    `Version: ${p.version}`,
    `Architecture: ${p.arch}`,
    'Maintainer: Debstash Tests <tests@example.invalid>',
    ...(p.lines ?? []),
    ...(probe === undefined ? [] : [`X-Probe: ${probe}`]),
    `Description: ${p.description ?? `test package ${p.name}`}`,
  ];
  return `${lines.join('\n')}\n`;
}

async function buildFixture(dir: string): Promise<void> {
  const debs = join(dir, 'debs');
  const udebs = join(dir, 'udebs');
  mkdirSync(debs);
  mkdirSync(udebs);
  await Promise.all(
    PACKAGES.map(async (p, i) => {
      const root = join(dir, `root${i}`);
      mkdirSync(join(root, 'DEBIAN'), { recursive: true });
      writeFileSync(join(root, 'DEBIAN', 'control'), controlText(p, PROBES[i]));
      const file = `${p.name}_${p.version.replace(':', '%3a')}_${p.arch}.${p.udeb === true ? 'udeb' : 'deb'}`;
      await run('dpkg-deb', ['-Zgzip', '-z1', '--root-owner-group', '--build', root, join(p.udeb === true ? udebs : debs, file)]);
    }),
  );
  const src = join(dir, 'src', 'srcpkg-1.0');
  mkdirSync(join(src, 'debian', 'source'), { recursive: true });
  writeFileSync(join(src, 'debian', 'source', 'format'), '3.0 (native)\n');
  writeFileSync(
    join(src, 'debian', 'control'),
    'Source: srcpkg\nSection: misc\nPriority: optional\nMaintainer: Debstash Tests <tests@example.invalid>\n' +
      'Build-Depends: debhelper-compat (= 13),\n alpha (>= 1.0)\nStandards-Version: 4.6.0\n\n' +
      'Package: srcpkg-bin\nArchitecture: any\nDescription: test source\n a binary of srcpkg\n',
  );
  writeFileSync(
    join(src, 'debian', 'changelog'),
    'srcpkg (1.0) unstable; urgency=low\n\n  * Test.\n\n -- Debstash Tests <tests@example.invalid>  Mon, 01 Jan 2024 00:00:00 +0000\n',
  );
  await run('dpkg-source', ['-b', 'srcpkg-1.0'], { cwd: join(dir, 'src') });
}

/** The packages as debstash sees them: index paragraphs, as a mirror would get them. */
async function loadTargets(dir: string): Promise<QueryTarget[]> {
  const scan = async (sub: string, type: 'deb' | 'udeb'): Promise<Paragraph[]> => {
    const { stdout } = await run('dpkg-scanpackages', ['-m', '-t', type, sub], { cwd: dir, maxBuffer: 1 << 24 });
    return parseDeb822(stdout);
  };
  const targets: QueryTarget[] = [];
  for (const p of await scan('debs', 'deb')) targets.push(queryTargetFromParagraph(p, 'deb'));
  for (const p of await scan('udebs', 'udeb')) targets.push(queryTargetFromParagraph(p, 'udeb'));
  // A Sources index names the package in `Package`; the .dsc calls it `Source`.
  const dsc = parseDeb822(readFileSync(join(dir, 'src', 'srcpkg_1.0.dsc'), 'utf8'))[0]!;
  const sources = Paragraph.from([...dsc].map(([n, v]): [string, string] => [n === 'Source' ? 'Package' : n, v]));
  targets.push(queryTargetFromParagraph(sources, 'source'));
  return targets;
}

type AptlyAnswer = { readonly keys: string[] } | { readonly error: string };

/** `query` undefined lists the whole repository (an empty query is a parse error to aptly). */
async function aptlySearch(config: string, query: string | undefined): Promise<AptlyAnswer> {
  try {
    const args = [`-config=${config}`, 'repo', 'search', 'fixture', ...(query === undefined ? [] : [query])];
    const { stdout } = await run('aptly', args);
    return { keys: stdout.split('\n').filter((l) => l !== '').sort() };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    const stderr = e.stderr ?? '';
    if (e.code === 1 && /no results/.test(stderr)) return { keys: [] };
    return { error: stderr.trim() };
  }
}

function debstashSearch(targets: readonly QueryTarget[], query: string): AptlyAnswer {
  let predicate;
  try {
    predicate = compileQuery(parseQuery(query));
  } catch (err) {
    if (isDebstashError(err)) return { error: err.message };
    throw err;
  }
  return {
    keys: targets.filter(predicate).map((t) => `${t.name}_${t.version}_${t.architecture}`).sort(),
  };
}

const missing = ['aptly', 'dpkg-deb', 'dpkg-scanpackages', 'dpkg-source'].filter(
  (tool) => !have(tool, tool === 'aptly' ? ['version'] : ['--version']),
);

describe('aptly parity', { skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false }, () => {
  let dir = '';
  let config = '';
  let targets: QueryTarget[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'debstash-query-parity-'));
    await buildFixture(dir);
    config = join(dir, 'aptly.conf');
    writeFileSync(config, JSON.stringify({ rootDir: join(dir, 'aptly'), architectures: [] }));
    await run('aptly', [`-config=${config}`, 'repo', 'create', 'fixture']);
    await run('aptly', [`-config=${config}`, 'repo', 'add', 'fixture', join(dir, 'debs'), join(dir, 'udebs'), join(dir, 'src')]);
    targets = await loadTargets(dir);
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('aptly and debstash hold the same packages', async () => {
    const all = await aptlySearch(config, undefined);
    assert.ok('keys' in all, 'error' in all ? all.error : '');
    assert.equal(all.keys.length, PACKAGES.length + 1);
    assert.deepEqual(all.keys, targets.map((t) => `${t.name}_${t.version}_${t.architecture}`).sort());
    assert.equal(readdirSync(join(dir, 'debs')).length + readdirSync(join(dir, 'udebs')).length, PACKAGES.length);
  });

  test(`${QUERIES.length} queries select the same packages`, async () => {
    const mismatches: string[] = [];
    let nonEmpty = 0;
    for (const query of QUERIES) {
      const theirs = await aptlySearch(config, query);
      const ours = debstashSearch(targets, query);
      if ('error' in theirs) {
        const also = 'error' in ours ? ' (so did debstash)' : '';
        mismatches.push(`${JSON.stringify(query)}: aptly refused it${also}: ${theirs.error}`);
        continue;
      }
      if ('error' in ours) {
        mismatches.push(`${JSON.stringify(query)}: debstash refused it: ${ours.error}`);
        continue;
      }
      if (theirs.keys.length > 0 && theirs.keys.length < targets.length) nonEmpty++;
      if (JSON.stringify(theirs.keys) !== JSON.stringify(ours.keys)) {
        mismatches.push(`${JSON.stringify(query)}:\n  aptly:    ${theirs.keys.join(' ')}\n  debstash: ${ours.keys.join(' ')}`);
      }
    }
    assert.deepEqual(mismatches, []);
    // The fixture is only useful if most queries split it.
    assert.ok(nonEmpty >= QUERIES.length * 0.6, `only ${nonEmpty} queries selected a proper subset`);
  });

  test(`${REJECTED.length} malformed queries are refused by both`, async () => {
    const mismatches: string[] = [];
    for (const query of REJECTED) {
      const theirs = await aptlySearch(config, query);
      const ours = debstashSearch(targets, query);
      if (!('error' in theirs)) mismatches.push(`${JSON.stringify(query)}: aptly accepted it`);
      else if (!/parsing failed/.test(theirs.error)) mismatches.push(`${JSON.stringify(query)}: aptly: ${theirs.error}`);
      if (!('error' in ours)) mismatches.push(`${JSON.stringify(query)}: debstash accepted it`);
    }
    assert.deepEqual(mismatches, []);
  });

  test(`${REGEXPS.length + DESCRIPTION_REGEXPS.length} regexps and ${GLOBS.length} globs mean what they mean in Go`, async () => {
    const quote = (text: string): string => `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
    const queries = [
      ...REGEXPS.map((re) => `X-Probe (~ ${quote(re)})`),
      ...DESCRIPTION_REGEXPS.map((re) => `Description (~ ${quote(re)})`),
      ...GLOBS.map((glob) => `X-Probe (% ${quote(glob)})`),
    ];
    const mismatches: string[] = [];
    let matched = 0;
    for (const query of queries) {
      const theirs = await aptlySearch(config, query);
      const ours = debstashSearch(targets, query);
      if ('keys' in theirs && theirs.keys.length > 0) matched++;
      // Go's and debstash's messages differ; refusing alike is what counts.
      if ('error' in theirs && 'error' in ours) continue;
      if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
        mismatches.push(`${query}:\n  aptly:    ${JSON.stringify(theirs)}\n  debstash: ${JSON.stringify(ours)}`);
      }
    }
    assert.deepEqual(mismatches, []);
    assert.ok(matched >= queries.length * 0.7, `only ${matched} patterns matched any probe`);
  });

  test('documented differences: after a `*`, Go lets `?` match a piece of a multibyte character', async () => {
    // Go retries a chunk one byte further each time; debstash one character.
    const theirs = await aptlySearch(config, 'X-Probe (% "日*???")');
    assert.ok('keys' in theirs && theirs.keys.length === 1, JSON.stringify(theirs));
    assert.deepEqual(debstashSearch(targets, 'X-Probe (% "日*???")'), { keys: [] });
  });

  test('documented differences: a malformed glob', async () => {
    // aptly's filepath.Match fails on it and the query silently selects nothing; debstash says why.
    const theirs = await aptlySearch(config, 'Name (% "[a")');
    assert.deepEqual(theirs, { keys: [] });
    const ours = debstashSearch(targets, 'Name (% "[a")');
    assert.ok('error' in ours && /column 9: invalid glob pattern/.test(ours.error), JSON.stringify(ours));
  });
});
