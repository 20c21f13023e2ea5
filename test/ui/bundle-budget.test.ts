import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { projectRoot } from '../helpers/project-root.js';

const UI = join(projectRoot, 'dist/ui');
/** The budget for the JavaScript of the first page, gzipped. */
const BUDGET = 150 * 1024;

test('the first page loads at most 150 kB of gzipped JavaScript, all from the package', { skip: existsSync(join(UI, 'index.html')) ? false : 'the UI is not built (npm run build)' }, async (t) => {
  const html = await readFile(join(UI, 'index.html'), 'utf8');
  // What the page loads before any interaction: its module scripts and their preloads.
  const urls = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+)"/g)].map((m) => m[1] ?? '');
  assert.ok(urls.length > 0, 'index.html loads a script');
  let total = 0;
  for (const url of urls) {
    assert.match(url, /^\/ui\/assets\/[\w-]+\.js$/, `${url}: served by debstash from its own build (no CDN)`);
    const js = await readFile(join(UI, url.slice('/ui/'.length)));
    total += gzipSync(js, { level: 9 }).length;
  }
  assert.doesNotMatch(html, /https?:\/\//, 'no other origin');
  assert.ok(total <= BUDGET, `first page: ${total} bytes of gzipped JavaScript, budget ${BUDGET}`);
  t.diagnostic(`first page: ${(total / 1024).toFixed(1)} kB gzipped JavaScript`);
});
