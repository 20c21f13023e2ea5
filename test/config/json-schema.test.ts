import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { configJsonSchemaText } from '../../src/config/config-json-schema.js';
import { projectRoot } from '../helpers/project-root.js';

test('debstash.schema.json is the schema generated from the config schema (regenerate: node dist/src/config/write-json-schema.js)', async () => {
  assert.equal(await readFile(join(projectRoot, 'debstash.schema.json'), 'utf8'), configJsonSchemaText());
});
