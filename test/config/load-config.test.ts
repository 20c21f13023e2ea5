import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/load-config.js';
import { DEFAULT_FILTER } from '../../src/config/embedded-default.js';
import { rejectsWith } from '../helpers/coded-error.js';
import { projectRoot } from '../helpers/project-root.js';

const FILE = 'debstash.yaml';
const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseConfigText(text, FILE, { env });

const MINIMAL = `mirrors:
  bookworm:
    url: http://127.0.0.1:9/debian
    dist: bookworm
publishes:
  - dist: bookworm
    from: [{ mirror: bookworm }]
`;

test('the example agreed for the container (docs/config.md) loads, with interpolation and defaults', async () => {
  const doc = await readFile(join(projectRoot, 'docs/config.md'), 'utf8');
  const example = /```yaml\n(# debstash\.yaml — full example[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, 'docs/config.md has the full example');
  const config = parse(example, { DEBSTASH_PACKAGES: 'nginx', DEBSTASH_CI_TOKEN: 'a-secret-of-enough-length' });
  const m = config.mirrors.bookworm;
  assert.ok(m);
  assert.equal(m.url, '', 'an unset ${VAR:-} is empty, which counts as omitted');
  assert.equal(m.filter, 'Priority (required) | nginx');
  assert.equal(m.with_deps, true);
  assert.deepEqual(config.publishes[0]?.from, [{ mirror: 'bookworm' }, { repo: 'internal' }]);
  assert.equal(config.publishes[0]?.keep, 5);
  assert.equal(config.server.tokens[0]?.secret, 'a-secret-of-enough-length');
  assert.equal(config.schedule.refresh, '6h');
});

test('defaults fill what a minimal file leaves out', () => {
  const c = parse(MINIMAL);
  assert.equal(c.server.listen, '127.0.0.1:8080');
  assert.equal(c.server.public, true);
  assert.equal(c.schedule.refresh, '6h');
  assert.deepEqual(c.publishes[0], { dist: 'bookworm', prefix: '', from: [{ mirror: 'bookworm' }], component: 'main', snapshot_name: '{publish}-{date}', keep: 5, keep_generations: 3, origin: 'debstash' });
  assert.deepEqual(parse(''), parse('{}'), 'an empty file is an empty config');
});

test('a plain scalar that is all interpolation is typed as YAML would type the value; a quoted one stays a string', () => {
  const c = parse(`${MINIMAL.replace('    from:', '    keep: ${KEEP:-2}\n    from:')}`, {});
  assert.equal(c.publishes[0]?.keep, 2);
  const d = parse(MINIMAL.replace('dist: bookworm\npublishes', 'dist: bookworm\n    with_deps: ${DEPS}\npublishes'), { DEPS: 'false' });
  assert.equal(d.mirrors.bookworm?.with_deps, false);
  assert.throws(() => parse(MINIMAL.replace('    from:', '    keep: "${KEEP:-2}"\n    from:')), rejectsWith('DEBSTASH_E_CONFIG_INVALID', /publishes\[0\]\.keep: expected number/));
});

test('refresh: 0 (a YAML number) and "off" both mean never', () => {
  assert.equal(parse(`${MINIMAL}schedule:\n  refresh: 0\n`).schedule.refresh, 0);
  assert.equal(parse(`${MINIMAL}schedule:\n  refresh: \${R:-6h}\n`, { R: '0' }).schedule.refresh, 0);
  assert.equal(parse(`${MINIMAL}schedule:\n  refresh: off\n`).schedule.refresh, 'off');
});

test('an env value cannot add YAML structure', () => {
  const c = parse(`${MINIMAL}repos:\n  r:\n    comment: \${C}\n`, { C: 'a\nunknown: [c]' });
  assert.equal(c.repos.r?.comment, 'a\nunknown: [c]');
});

/** One mistake of each kind: its code, and the message naming file, line, column and setting. */
const MISTAKES: readonly { name: string; text: string; env?: NodeJS.ProcessEnv; code: 'DEBSTASH_E_CONFIG_SYNTAX' | 'DEBSTASH_E_CONFIG_INVALID' | 'DEBSTASH_E_CONFIG_ENV'; message: RegExp }[] = [
  { name: 'YAML syntax error', text: 'mirrors:\n  bookworm:\n    url: [unclosed\n', code: 'DEBSTASH_E_CONFIG_SYNTAX', message: /^debstash\.yaml:4:1: YAML syntax error: / },
  { name: 'duplicate key', text: 'server:\n  public: true\n  public: false\n', code: 'DEBSTASH_E_CONFIG_SYNTAX', message: /^debstash\.yaml:3:3: YAML syntax error: Map keys must be unique/ },
  { name: 'unknown key', text: MINIMAL.replace('    dist: bookworm\npub', '    dist: bookworm\n    filtr: nginx\npub'), code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:5:5: mirrors\.bookworm\.filtr: unknown setting "filtr"$/ },
  { name: 'unknown top-level key', text: `${MINIMAL}mirorrs: {}\n`, code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:8:1: mirorrs: unknown setting "mirorrs"$/ },
  {
    name: 'bad filter',
    text: MINIMAL.replace('    dist: bookworm\npub', '    dist: bookworm\n    filter: "postgresql | (python3"\npub'),
    code: 'DEBSTASH_E_CONFIG_INVALID',
    message: /^debstash\.yaml:5:13: mirrors\.bookworm\.filter: the filter does not parse: column \d+: /,
  },
  { name: 'wrong type', text: MINIMAL.replace('dist: bookworm\npub', 'dist: bookworm\n    with_deps: yes please\npub'), code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:5:16: mirrors\.bookworm\.with_deps: expected boolean, received string$/ },
  { name: 'bad listen', text: `${MINIMAL}server:\n  listen: localhost\n`, code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:9:11: server\.listen: expected HOST:PORT/ },
  { name: 'bad public_url', text: `${MINIMAL}server:\n  public_url: mirror.internal:8080/apt\n`, code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:9:15: server\.public_url: expected the absolute http\(s\) URL clients reach the server at/ },
  { name: 'bad refresh', text: `${MINIMAL}schedule:\n  refresh: daily\n`, code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:9:12: schedule\.refresh: expected a number with s, m or h/ },
  { name: 'unknown mirror in a publish', text: MINIMAL.replace('{ mirror: bookworm }', '{ mirror: trixie }'), code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:7:22: publishes\[0\]\.from\[0\]\.mirror: "trixie" is not a mirror of this file \(mirrors: bookworm\)$/ },
  { name: 'neither mirror nor repo in from', text: MINIMAL.replace('{ mirror: bookworm }', '{ mirr: bookworm }'), code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:7:12: publishes\[0\]\.from\[0\]: expected \{ mirror: NAME \} or \{ repo: NAME \}$/ },
  { name: 'missing required key', text: MINIMAL.replace('  - dist: bookworm\n', '  - prefix: x\n'), code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:6:5: publishes\[0\]\.dist: required, expected string$/ },
  { name: 'missing env var without default', text: MINIMAL.replace('url: http://127.0.0.1:9/debian', 'url: ${UPSTREAM}'), code: 'DEBSTASH_E_CONFIG_ENV', message: /^debstash\.yaml:3:10: mirrors\.bookworm\.url: environment variable UPSTREAM is not set/ },
  { name: 'deps_from cycle', text: 'mirrors:\n  a: { deps_from: [b] }\n  b: { deps_from: [a] }\n', code: 'DEBSTASH_E_CONFIG_INVALID', message: /deps_from: deps_from goes round in a circle: a → b → a$/ },
  { name: 'bad mirror name', text: 'mirrors:\n  "a b": {}\n', code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:2:3: mirrors\.a b: invalid mirror name/ },
  { name: 'unknown snapshot_name placeholder', text: MINIMAL.replace('    from:', '    snapshot_name: "{dist}-{date}"\n    from:'), code: 'DEBSTASH_E_CONFIG_INVALID', message: /publishes\[0\]\.snapshot_name: unknown placeholder \{dist\}/ },
  { name: 'two publishes at the same place', text: `${MINIMAL}  - { dist: bookworm, prefix: /, from: [{ mirror: bookworm }] }\n`, code: 'DEBSTASH_E_CONFIG_INVALID', message: /publishes\[1\]\.dist: \/ bookworm is published by publishes\[0\] already/ },
  { name: 'url without dist', text: 'mirrors:\n  m: { url: "http://127.0.0.1:9/d" }\n', code: 'DEBSTASH_E_CONFIG_INVALID', message: /^debstash\.yaml:2:13: mirrors\.m\.url: a mirror with a url needs its dist too/ },
];

for (const m of MISTAKES) {
  test(`config error: ${m.name}`, () => {
    assert.throws(() => parse(m.text, m.env), rejectsWith(m.code, (e) => {
      assert.match(e.message, m.message);
      assert.equal(e.details.file, FILE);
    }));
  });
}

test('a bad filter names the column inside the query', () => {
  const text = MINIMAL.replace('    dist: bookworm\npub', '    dist: bookworm\n    filter: "postgresql | (python3"\npub');
  assert.throws(() => parse(text), rejectsWith('DEBSTASH_E_CONFIG_INVALID', (e) => {
    assert.equal(e.details.line, 5);
    assert.equal(e.details.setting, 'mirrors.bookworm.filter');
    assert.equal(typeof e.details.queryColumn, 'number');
  }));
});

test('the embedded default filter is a valid filter in a config', () => {
  assert.equal(parse(MINIMAL.replace('dist: bookworm\npub', `dist: bookworm\n    filter: "${DEFAULT_FILTER}"\npub`)).mirrors.bookworm?.filter, DEFAULT_FILTER);
});
