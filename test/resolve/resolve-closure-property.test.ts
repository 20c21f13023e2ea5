import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Paragraph } from '../../src/deb/paragraph.js';
import { PackageIndex, type IndexedPackage } from '../../src/resolve/package-index.js';
import { resolveClosure, type ResolveOptions, type ResolveResult } from '../../src/resolve/resolve-closure.js';
import { brokenDependencies } from './check-closed.js';

// Small name spaces so that random packages depend on each other, provide each other's names,
// form cycles and compete as alternatives.
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const VIRTUALS = ['v', 'w'];
const VERSIONS = ['1', '1.5', '2', '3~rc1'];
const OPTIONS: ResolveOptions = { architectures: ['amd64', 'i386'] };

const term = fc
  .record({
    name: fc.constantFrom(...NAMES, ...VIRTUALS),
    version: fc.option(fc.tuple(fc.constantFrom('>=', '<<', '=', '<=', '>>'), fc.constantFrom(...VERSIONS)), { nil: undefined }),
    any: fc.boolean(),
    restriction: fc.constantFrom('', '', '', ' [i386]', ' [!i386]'),
  })
  .map(
    (t) =>
      `${t.name}${t.any ? ':any' : ''}${t.version === undefined ? '' : ` (${t.version[0]} ${t.version[1]})`}${t.restriction}`,
  );
const field = fc.array(fc.array(term, { minLength: 1, maxLength: 3 }), { maxLength: 3 });

const record = fc.record({
  name: fc.constantFrom(...NAMES),
  version: fc.constantFrom(...VERSIONS),
  arch: fc.constantFrom('amd64', 'amd64', 'i386', 'all', 'arm64'),
  multiArch: fc.constantFrom(undefined, undefined, 'same', 'foreign', 'allowed'),
  priority: fc.constantFrom(undefined, 'required', 'standard', 'optional', 'extra'),
  provides: fc.array(
    fc.tuple(fc.constantFrom(...VIRTUALS, ...NAMES), fc.option(fc.constantFrom(...VERSIONS), { nil: undefined })),
    { maxLength: 2 },
  ),
  depends: field,
  preDepends: fc.array(fc.array(term, { minLength: 1, maxLength: 2 }), { maxLength: 1 }),
  recommends: field,
  other: fc.boolean(),
  root: fc.boolean(),
});

interface World {
  readonly own: Paragraph[];
  readonly other: Paragraph[];
  readonly roots: number[];
}

const world = fc.array(record, { minLength: 1, maxLength: 25 }).map((records): World => {
  const own: Paragraph[] = [];
  const other: Paragraph[] = [];
  const roots: number[] = [];
  records.forEach((r, i) => {
    const fields: [string, string][] = [
      ['Package', r.name],
      ['Version', r.version],
      ['Architecture', r.arch],
    ];
    if (r.multiArch !== undefined) fields.push(['Multi-Arch', r.multiArch]);
    if (r.priority !== undefined) fields.push(['Priority', r.priority]);
    const relations = (groups: string[][]): string => groups.map((g) => g.join(' | ')).join(', ');
    if (r.preDepends.length > 0) fields.push(['Pre-Depends', relations(r.preDepends)]);
    if (r.depends.length > 0) fields.push(['Depends', relations(r.depends)]);
    if (r.recommends.length > 0) fields.push(['Recommends', relations(r.recommends)]);
    if (r.provides.length > 0) {
      fields.push(['Provides', r.provides.map(([n, v]) => (v === undefined ? n : `${n} (= ${v})`)).join(', ')]);
    }
    fields.push(['Filename', `pool/${i}.deb`]);
    const p = Paragraph.from(fields);
    if (r.other && i > 0) other.push(p);
    else {
      if (r.root) roots.push(own.length);
      own.push(p);
    }
  });
  return { own, other, roots };
});

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const next = (): number => {
    // mulberry32: a fixed, seedable permutation source, so a failure replays exactly.
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function run(w: World, seed: number | undefined, options: ResolveOptions): { result: ResolveResult; others: PackageIndex[] } {
  const order = <T>(xs: readonly T[]): T[] => (seed === undefined ? [...xs] : shuffled(xs, seed));
  const own = new PackageIndex();
  const byParagraph = new Map<Paragraph, IndexedPackage>();
  for (const p of order(w.own)) byParagraph.set(p, own.add(p));
  const other = new PackageIndex();
  for (const p of order(w.other)) other.add(p);
  const roots = order(w.roots.map((i) => byParagraph.get(w.own[i]) as IndexedPackage));
  return { result: resolveClosure(roots, [own, other], options), others: [other] };
}

function summary(r: ResolveResult): string {
  return JSON.stringify({
    selected: r.selected.map((p) => p.paragraph.get('Filename')),
    unresolved: r.unresolved,
  });
}

test('the same packages in any order give the same closure, and it is closed', () => {
  fc.assert(
    fc.property(world, fc.integer(), fc.integer(), fc.boolean(), (w, seed1, seed2, withRecommends) => {
      const options = { ...OPTIONS, withRecommends };
      const base = run(w, undefined, options);
      assert.equal(summary(run(w, seed1, options).result), summary(base.result));
      assert.equal(summary(run(w, seed2, options).result), summary(base.result));

      const { result } = base;
      assert.deepEqual(brokenDependencies(result, base.others, options), []);

      const selected = new Set(result.selected.map((p) => p.paragraph.get('Filename')));
      for (const i of w.roots) assert.ok(selected.has(w.own[i].get('Filename')), 'every root is kept');
      const rootFiles = new Set(w.roots.map((i) => w.own[i].get('Filename')));
      const ownFiles = new Set(w.own.map((p) => p.get('Filename')));
      for (const p of result.selected) {
        const file = p.paragraph.get('Filename');
        assert.ok(ownFiles.has(file), 'only the own index is selected from');
        if (!rootFiles.has(file)) assert.ok(p.architecture === 'all' || OPTIONS.architectures.includes(p.architecture));
      }
      assert.equal(new Set(result.unresolved.map((u) => `${u.package} ${u.dependency}`)).size, result.unresolved.length);
    }),
    { numRuns: 400 },
  );
});

test('without roots nothing is selected', () => {
  const index = new PackageIndex();
  index.add(Paragraph.from({ Package: 'a', Version: '1', Architecture: 'amd64' }));
  assert.deepEqual(resolveClosure([], [index], OPTIONS), { selected: [], unresolved: [] });
});
