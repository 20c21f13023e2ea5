import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDeb822 } from '../src/deb/deb822-parse.js';
import { parseRelations } from '../src/deb/relation.js';
import { DEFAULT_FILTER } from '../src/config/embedded-default.js';
import { closeContext, openEmbeddedContext } from '../src/model/context.js';
import { haveGnuTime, type Measurement, measure, median } from './measure.js';
import { printTable, type Row } from './report.js';
import { benchUpstream, type BenchUpstream } from './upstream.js';

/** The seed workload of the embedded default (docs/architecture.md). */
export const SEED_FILTER = DEFAULT_FILTER;
/** A filter no package matches: the cost of reading the full index and nothing else. */
export const NOTHING_FILTER = 'Name (= debstash-bench-matches-nothing)';
const NOOP_RUNS = 3;
const bin = fileURLToPath(new URL('../../bin/debstash.js', import.meta.url));

export interface Tool {
  create(name: string, filter: string): void;
  update(name: string): Promise<Measurement>;
  /** name_version_arch of every package the mirror holds. */
  packages(name: string): string[];
  /** Upstream path (Filename) of every package file. */
  files(name: string): string[];
}

/** `extraEnv`: more of debstash's environment (the scale bench's S3 storage). */
export function debstash(root: string, up: BenchUpstream, extraEnv: NodeJS.ProcessEnv = {}): Tool {
  const env = { ...process.env, ...extraEnv, DEBSTASH_DATA_DIR: join(root, 'debstash') };
  const cli = (...args: string[]): string => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const show = (name: string) => JSON.parse(cli('--json', 'mirror', 'show', name)) as { packages: { name: string; version: string; architecture: string; filename: string }[] };
  return {
    create: (name, filter) =>
      void cli('-q', 'mirror', 'create', name, up.uri, up.suite, up.component, '--arch', up.arch, '--filter', filter, '--with-deps', ...(up.signedBy?.startsWith('/') ? ['--keyring', up.signedBy] : [])),
    update: (name) => measure([process.execPath, bin, '-q', 'mirror', 'update', name], env),
    packages: (name) => show(name).packages.map((p) => `${p.name}_${p.version}_${p.architecture}`),
    files: (name) => show(name).packages.map((p) => p.filename),
  };
}

/** `extraConf`: more of aptly.conf (the scale bench's S3PublishEndpoints). */
export function aptly(root: string, up: BenchUpstream, extraConf: Record<string, unknown> = {}): Tool {
  const conf = join(root, 'aptly.conf');
  const keyring = up.signedBy?.startsWith('/') ? [`-keyring=${up.signedBy}`] : ['-ignore-signatures'];
  const run = (...args: string[]): string => execFileSync('aptly', [`-config=${conf}`, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  let written = false;
  return {
    create: (name, filter) => {
      if (!written) {
        execFileSync('sh', ['-c', `cat > '${conf}'`], { input: JSON.stringify({ rootDir: join(root, 'aptly'), gpgProvider: 'gpg', downloadConcurrency: 8, ...extraConf }) });
        written = true;
      }
      run('mirror', 'create', `-architectures=${up.arch}`, `-filter=${filter}`, '-filter-with-deps', ...keyring, name, up.uri, up.suite, up.component);
    },
    update: (name) => measure(['aptly', `-config=${conf}`, 'mirror', 'update', ...keyring, name]),
    packages: (name) =>
      run('mirror', 'show', '-with-packages', name)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^[^ :]+_[^ ]+_[^ ]+$/.test(l)),
    files: () => [],
  };
}

/** The floor: the same files fetched by curl, 8 in parallel, nothing else. */
async function curlFloor(root: string, up: BenchUpstream, files: readonly string[]): Promise<Measurement> {
  const dir = join(root, 'curl');
  const config = files.map((f, i) => `url = "${up.uri}/${f}"\noutput = "${join(dir, String(i))}"`).join('\n');
  const file = join(root, 'curl.conf');
  await writeFile(file, `${config}\n`);
  return measure(['curl', '--silent', '--fail', '--create-dirs', '--parallel', '--parallel-max', '8', '--config', file]);
}

/** Why a package aptly took is not in our set: who asks for it, and what already answers. */
function explain(extra: string, ourStanzas: readonly string[]): string {
  const name = extra.split('_')[0] ?? extra;
  const reasons: string[] = [];
  for (const stanza of ourStanzas) {
    const [p] = parseDeb822(stanza);
    if (p === undefined) continue;
    for (const field of ['Pre-Depends', 'Depends']) {
      const text = p.get(field);
      if (text === undefined) continue;
      for (const group of parseRelations(text)) {
        if (!group.some((r) => r.name === name)) continue;
        reasons.push(`${p.get('Package')} ${field}: ${group.map((r) => r.name + (r.version ? ` (${r.op} ${r.version})` : '')).join(' | ')}`);
      }
    }
  }
  return reasons.length === 0 ? 'nothing in our set depends on it' : reasons.slice(0, 3).join('; ');
}

export async function benchMirror(): Promise<void> {
  if (!haveGnuTime()) throw new Error('bench needs GNU time: apt-get install time');
  const up = await benchUpstream();
  console.log(`mirror: ${up.uri} ${up.suite} ${up.component} ${up.arch} (from ${up.origin}), filter: ${SEED_FILTER}`);
  const root = await mkdtemp(join(tmpdir(), 'debstash-bench-mirror-'));
  try {
    const ours = debstash(root, up);
    const theirs = aptly(root, up);
    const rows: Row[] = [];
    for (const t of [ours, theirs]) {
      t.create('seed', SEED_FILTER);
      t.create('nothing', NOTHING_FILTER);
    }
    const firstOurs = await ours.update('seed');
    const firstTheirs = await theirs.update('seed');
    rows.push({ step: 'first update', debstash: firstOurs, aptly: firstTheirs });
    const noop = async (t: Tool): Promise<Measurement> => {
      const runs: Measurement[] = [];
      for (let i = 0; i < NOOP_RUNS; i++) runs.push(await t.update('seed'));
      return median(runs);
    };
    rows.push({ step: 'no-op re-update', debstash: await noop(ours), aptly: await noop(theirs) });
    rows.push({ step: 'read full index', debstash: await ours.update('nothing'), aptly: await theirs.update('nothing') });
    const files = ours.files('seed');
    const floor = await curlFloor(root, up, files);
    printTable(rows);
    console.log(`floor: curl --parallel-max 8 fetched the same ${files.length} files in ${floor.wallS.toFixed(2)} s; debstash first update is ${(firstOurs.wallS / floor.wallS).toFixed(1)}x the floor, aptly ${(firstTheirs.wallS / floor.wallS).toFixed(1)}x`);

    const a = new Set(theirs.packages('seed'));
    const d = new Set(ours.packages('seed'));
    console.log(`selected: debstash ${d.size} packages, aptly ${a.size}`);
    const ourStanzas = await stanzasOf(join(root, 'debstash'));
    for (const p of [...a].filter((x) => !d.has(x)).sort()) console.log(`  only aptly:    ${p}  (${explain(p, ourStanzas)})`);
    for (const p of [...d].filter((x) => !a.has(x)).sort()) console.log(`  only debstash: ${p}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function stanzasOf(dataDir: string): Promise<string[]> {
  const ctx = await openEmbeddedContext(dataDir);
  try {
    return (await ctx.store.mirrorPackages('seed')).map((p) => p.stanza);
  } finally {
    await closeContext(ctx);
  }
}
