import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { expandHostSources } from '../../src/config/expand-host-sources.js';
import { parseConfigText } from '../../src/config/load-config.js';
import { isCode } from '../helpers/coded-error.js';

const FILE = '/etc/debstash/debstash.yaml';
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'debstash-host-sources-'));
  await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  // A one-line sources.list too, and a disabled stanza, a deb-src one and a repeated suite: all left out.
  await writeFile(join(root, 'etc/apt/sources.list'), 'deb [signed-by=/k.gpg] http://archive.invalid/debian bookworm main contrib\n');
  await writeFile(
    join(root, 'etc/apt/sources.list.d/more.sources'),
    'Types: deb\nURIs: http://archive.invalid/debian\nSuites: bookworm-updates bookworm\nComponents: main\nSigned-By: /k.gpg\n\n' +
      'Types: deb deb-src\nURIs: http://archive.invalid/debian-security/\nSuites: bookworm-security\nComponents: main\n\n' +
      'Types: deb\nURIs: http://archive.invalid/off\nSuites: off\nComponents: main\nEnabled: no\n',
  );
});
after(() => rm(root, { recursive: true, force: true }));

const expand = (text: string) => expandHostSources(parseConfigText(text, FILE, { env: {} }), root);

test('host_sources: one mirror per host suite with the entry\'s settings, one publish per suite for dist "{suite}"', async () => {
  const config = await expand(
    [
      'mirrors:',
      '  host: { host_sources: true, filter: "hello", deps_from: [lib] }',
      '  lib: { url: "http://other.invalid/l", dist: l }',
      '  extra: { url: "http://other.invalid/x", dist: x, deps_from: [host] }',
      'repos: { internal: {} }',
      'publishes:',
      '  - { dist: "{suite}", prefix: debian, from: [ { mirror: host }, { repo: internal } ], keep: 2 }',
      '  - { dist: base-only, from: [ { mirror: host } ] }',
    ].join('\n'),
  );
  assert.deepEqual(Object.keys(config.mirrors), ['lib', 'extra', 'bookworm-main', 'bookworm-updates-main', 'bookworm-security-main']);
  assert.deepEqual(config.mirrors.extra?.deps_from, ['bookworm-main'], 'a reference to the entry is its base suite');
  const b = config.mirrors['bookworm-main'];
  assert.equal(b?.url, 'http://archive.invalid/debian');
  assert.deepEqual(b?.keyring, [join(root, 'k.gpg')], 'Signed-By is a path under the host root');
  assert.deepEqual(b?.components, ['main'], 'the first component, as before');
  assert.deepEqual([b?.deps_from, b?.update_deps_from, b?.filter], [['lib'], false, 'hello']);
  const s = config.mirrors['bookworm-security-main'];
  assert.equal(s?.url, 'http://archive.invalid/debian-security');
  assert.equal(s?.keyring, undefined, 'no Signed-By: apt\'s trusted keyrings, found when applied');
  assert.deepEqual([s?.deps_from, s?.update_deps_from], [['bookworm-main', 'lib'], true]);
  assert.deepEqual(
    config.publishes.map((p) => [p.prefix, p.dist, p.keep, p.from]),
    [
      ['debian', 'bookworm', 2, [{ mirror: 'bookworm-main' }, { repo: 'internal' }]],
      ['debian', 'bookworm-updates', 2, [{ mirror: 'bookworm-updates-main' }, { repo: 'internal' }]],
      ['debian', 'bookworm-security', 2, [{ mirror: 'bookworm-security-main' }, { repo: 'internal' }]],
      ['', 'base-only', 5, [{ mirror: 'bookworm-main' }]],
    ],
  );
});

test('a config without host_sources is left as it is, and the host is not read', async () => {
  const parsed = parseConfigText('mirrors:\n  m: { url: "http://x.invalid/", dist: d }\npublishes: [ { dist: d, from: [ { mirror: m } ] } ]\n', FILE, { env: {} });
  assert.equal(await expandHostSources(parsed, join(root, 'nowhere')), parsed);
});

test('host_sources mistakes are config errors that name the setting', async () => {
  const cases: [string, RegExp][] = [
    ['mirrors:\n  host: { host_sources: true, url: "http://x.invalid/", dist: d }\n', /mirrors\.host\.url.*leave them out/],
    ['mirrors:\n  a: { host_sources: true }\n  b: { host_sources: true }\n', /mirrors\.b\.host_sources.*mirrors\.a takes the host's sources already/],
    ['mirrors:\n  m: { url: "http://x.invalid/", dist: d }\npublishes: [ { dist: "{suite}", from: [ { mirror: m } ] } ]\n', /publishes\[0\]\.dist.*needs a host_sources mirror/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseConfigText(text, FILE, { env: {} }), isCode('DEBSTASH_E_CONFIG_INVALID', message), text);
  await assert.rejects(expand('mirrors:\n  host: { host_sources: true }\n  bookworm-main: { url: "http://x.invalid/", dist: d }\n'), isCode('DEBSTASH_E_CONFIG_INVALID', /mirrors\.host: the host suite bookworm .* would be mirror "bookworm-main"/));
});
