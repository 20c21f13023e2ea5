import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { API_ROUTES } from '../../../src/server/api/route-table.js';
import { projectRoot } from '../../helpers/project-root.js';

test('docs/api.md lists every route with its scope', () => {
  const doc = readFileSync(join(projectRoot, 'docs/api.md'), 'utf8');
  for (const r of API_ROUTES) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${r.method} ${r.path}\` |`));
    assert.ok(row, `docs/api.md has no row for ${r.method} ${r.path}`);
    assert.equal(row.split('|')[2]?.trim(), r.scope, `${r.method} ${r.path}: scope in docs`);
  }
});
