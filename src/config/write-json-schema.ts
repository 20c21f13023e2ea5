import { writeFile } from 'node:fs/promises';
import { configJsonSchemaText } from './config-json-schema.js';

/** `node dist/src/config/write-json-schema.js`: regenerates debstash.schema.json at the repository root. */
const target = new URL('../../../debstash.schema.json', import.meta.url);
await writeFile(target, configJsonSchemaText());
process.stdout.write(`wrote ${target.pathname}\n`);
