import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, type ErrorCode } from '../../src/errors/codes.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { projectRoot } from '../helpers/project-root.js';

const codes = Object.keys(ERROR_CODES) as ErrorCode[];

test('every error code is documented in docs/errors.md with its exit code and HTTP status', () => {
  const doc = readFileSync(join(projectRoot, 'docs/errors.md'), 'utf8');
  for (const code of codes) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `docs/errors.md has no table row for ${code}`);
    const cells = row.split('|').map((c) => c.trim());
    assert.equal(cells[2], String(ERROR_CODES[code].exit), `${code}: exit code in docs`);
    assert.equal(cells[3], String(ERROR_CODES[code].status), `${code}: HTTP status in docs`);
    assert.match(doc, new RegExp(`^### \`${code}\`$`, 'm'), `docs/errors.md has no section for ${code}`);
  }
  const documented = [...doc.matchAll(/^### `(DEBSTASH_E_[A-Z0-9_]+)`$/gm)].map((m) => m[1]);
  assert.deepEqual(documented.filter((c) => !(c in ERROR_CODES)), [], 'docs/errors.md names codes that do not exist');
});

test('codes are stable names, exit codes are 1 or 2, statuses are 4xx/5xx', () => {
  for (const code of codes) {
    assert.match(code, /^DEBSTASH_E_[A-Z0-9_]+$/);
    assert.ok(ERROR_CODES[code].status >= 400 && ERROR_CODES[code].status < 600);
    assert.ok(ERROR_CODES[code].hint.endsWith('.'), `${code}: the hint is a sentence`);
  }
});

test('a DebstashError carries code, exit code, status, hint and JSON form', () => {
  const err = new DebstashError('DEBSTASH_E_QUERY_SYNTAX', 'column 3: expected ")"', { column: 3 });
  assert.equal(err.exitCode, 2);
  assert.equal(err.httpStatus, 400);
  assert.match(err.describe(), /^DEBSTASH_E_QUERY_SYNTAX: column 3: expected "\)"\. See docs\/query\.md/);
  assert.deepEqual(JSON.parse(JSON.stringify(err)), {
    code: 'DEBSTASH_E_QUERY_SYNTAX',
    message: 'column 3: expected ")"',
    hint: ERROR_CODES.DEBSTASH_E_QUERY_SYNTAX.hint,
    details: { column: 3 },
  });
});
