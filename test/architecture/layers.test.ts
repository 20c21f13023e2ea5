import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { projectRoot } from '../helpers/project-root.js';

/**
 * The layers of src/, bottom to top: a module may import its own group, any group of a lower
 * layer, and a group of its own layer only where SIDEWAYS says so. docs/architecture.md
 * explains the table; this is the one place it is written down.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'deb', 'concurrency', 'files', 'types'],
  ['query', 'resolve', 'upstream', 'store', 'pool', 'workers'],
  ['publish', 'keys'],
  ['model'],
  ['auth', 'server', 'config'],
  ['cli'],
];

/** Imports within one layer, each one-way and for a reason. */
const SIDEWAYS: Readonly<Record<string, readonly string[]>> = {
  // Coded errors are the floor everything stands on, the bottom layer included.
  deb: ['errors'],
  files: ['errors'],
  concurrency: ['errors'],
  // UpstreamClient.download writes into a Pool (the pool, or the index cache that is one).
  upstream: ['pool'],
  // keys implements the Signer interface publish declares; publish never names a key store.
  keys: ['publish'],
  // The server checks requests with auth; config may describe tokens for it. auth knows
  // neither, and server and config never import each other: they meet in cli (up).
  server: ['auth'],
  config: ['auth'],
};

const SRC = join(projectRoot, 'src');
const layerOf = new Map(LAYERS.flatMap((groups, level) => groups.map((g) => [g, level] as const)));

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

/** The top-level directory of src/ a path is in (a file directly in src/ is its own group). */
function groupOf(path: string): string {
  return relative(SRC, path).split(sep)[0]!.replace(/\.ts$/, '');
}

/** Every module specifier of a file: static imports, re-exports, `import type` and `import()`. */
function specifiers(path: string): string[] {
  return ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  const a = layerOf.get(from);
  const b = layerOf.get(to);
  if (a === undefined || b === undefined) return false;
  return b < a || (a === b && (SIDEWAYS[from] ?? []).includes(to));
}

test('every directory of src/ has a place in the layer table', () => {
  const groups = new Set([...sourceFiles(SRC)].map(groupOf));
  assert.deepEqual([...groups].filter((g) => !layerOf.has(g)).sort(), []);
  for (const [from, tos] of Object.entries(SIDEWAYS)) {
    for (const to of tos) assert.equal(layerOf.get(from), layerOf.get(to), `${from} → ${to} is not within one layer`);
  }
});

test('sideways imports go one way: no cycle among them', () => {
  const visit = (group: string, path: readonly string[]): void => {
    assert.ok(!path.includes(group), `cycle: ${[...path, group].join(' → ')}`);
    for (const next of SIDEWAYS[group] ?? []) visit(next, [...path, group]);
  };
  for (const group of Object.keys(SIDEWAYS)) visit(group, []);
});

test('no module of src/ imports a higher layer, or a sideways group the table does not allow', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = groupOf(file);
    for (const spec of specifiers(file)) {
      if (!spec.startsWith('.')) continue; // node: built-ins and packages
      const target = resolve(dirname(file), spec);
      const where = relative(SRC, target);
      const to = where.startsWith('..') ? `outside src (${relative(projectRoot, target)})` : groupOf(target);
      if (!allowed(from, to)) violations.push(`${relative(projectRoot, file)} → ${spec} (${from}, layer ${layerOf.get(from)}, imports ${to}, layer ${layerOf.get(to) ?? '?'})`);
    }
  }
  assert.deepEqual(violations, []);
});
