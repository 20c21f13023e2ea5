import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveGnuTime, type Measurement, measure } from './measure.js';
import { aptly, debstash, SEED_FILTER } from './mirror.js';
import { printTable, type Row } from './report.js';
import { syntheticDebs } from './synthetic-debs.js';
import { benchUpstream } from './upstream.js';

const bin = fileURLToPath(new URL('../../bin/debstash.js', import.meta.url));
/** Size of the synthetic local repository (issue 5). */
const SYNTHETIC_COUNT = Number(process.env.DEBSTASH_BENCH_SYNTHETIC ?? 20_000);

interface Signing {
  /** Environment with GNUPGHOME set, for aptly and reprepro. */
  readonly env: NodeJS.ProcessEnv;
  readonly fingerprint: string;
}

/** A throwaway gpg home with one Ed25519 signing key, for the other tools. */
export function gpgKey(root: string): Signing {
  const home = join(root, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: home };
  execFileSync('gpg', ['--batch', '--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', 'Bench <bench@debstash.invalid>', 'ed25519', 'sign', 'never'], { env, stdio: 'ignore' });
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(execFileSync('gpg', ['--batch', '--with-colons', '--list-keys'], { env, encoding: 'utf8' }))?.[1] ?? '';
  return { env, fingerprint };
}

/** Runs debstash's CLI in `dataDir` (with `extraEnv`): `run` unmeasured, `time` under GNU time. */
export function debstashCli(dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): { run(...args: string[]): string; time(...args: string[]): Promise<Measurement> } {
  const env = { ...process.env, ...extraEnv, DEBSTASH_DATA_DIR: dataDir };
  return {
    run: (...args) => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 }),
    time: (...args) => measure([process.execPath, bin, '-q', ...args], env),
  };
}

/**
 * debstash and aptly side by side in `root`, each with a signing key and an empty local repo
 * `syn`: `d` is debstash's CLI, `a` an aptly command under GNU time, `aptly` one unmeasured.
 */
export async function syntheticRepoTools(
  root: string,
  extra: { readonly env?: NodeJS.ProcessEnv; readonly aptlyConf?: Record<string, unknown> } = {},
): Promise<{
  readonly gpg: Signing;
  readonly d: ReturnType<typeof debstashCli>;
  a(...args: string[]): Promise<Measurement>;
  aptly(...args: string[]): void;
  readonly signing: readonly string[];
}> {
  const gpg = gpgKey(root);
  const d = debstashCli(join(root, 'debstash'), extra.env);
  d.run('-q', 'key', 'generate');
  d.run('-q', 'repo', 'create', 'syn');
  const conf = join(root, 'aptly.conf');
  await writeFile(conf, JSON.stringify({ rootDir: join(root, 'aptly'), gpgProvider: 'gpg', ...extra.aptlyConf }));
  const aptly = (...args: string[]): void => void execFileSync('aptly', [`-config=${conf}`, ...args], { env: gpg.env, stdio: 'ignore' });
  aptly('repo', 'create', '-distribution=syn', 'syn');
  return { gpg, d, a: (...args) => measure(['aptly', `-config=${conf}`, ...args], gpg.env), aptly, signing: ['-batch', `-gpg-key=${gpg.fingerprint}`] };
}

/**
 * Issue 5's publishing benchmarks, each tool in the same run: the signed publish of the seed
 * snapshot with and without Contents (`seed`), and a synthetic local repository of 20,000
 * small .debs (`synthetic`). DEBSTASH_BENCH_PUBLISH=seed|synthetic runs one of them.
 */
export async function benchPublish(): Promise<void> {
  if (!haveGnuTime()) throw new Error('bench needs GNU time: apt-get install time');
  const only = process.env.DEBSTASH_BENCH_PUBLISH;
  if (only === undefined || only === 'seed') await benchSeedPublish();
  if (only === undefined || only === 'synthetic') await benchSyntheticRepo();
}

/** The seed snapshot (a mirror of the host archive), published signed by debstash and aptly. */
async function benchSeedPublish(): Promise<void> {
  const up = await benchUpstream();
  const root = await mkdtemp(join(tmpdir(), 'debstash-bench-publish-'));
  try {
    const { env: gpgEnv, fingerprint } = gpgKey(root);
    const ours = debstash(root, up);
    const theirs = aptly(root, up);
    for (const t of [ours, theirs]) t.create('seed', SEED_FILTER);
    await ours.update('seed');
    await theirs.update('seed');

    const d = debstashCli(join(root, 'debstash'));
    d.run('-q', 'key', 'generate');
    d.run('-q', 'snapshot', 'create', 's1', '--from-mirror', 'seed');
    d.run('-q', 'snapshot', 'create', 's2', '--from-mirror', 'seed');
    const conf = join(root, 'aptly.conf');
    const a = (...args: string[]): Promise<Measurement> => measure(['aptly', `-config=${conf}`, ...args], gpgEnv);
    const signing = ['-batch', `-gpg-key=${fingerprint}`];
    for (const s of ['s1', 's2']) execFileSync('aptly', [`-config=${conf}`, 'snapshot', 'create', s, 'from', 'mirror', 'seed'], { env: gpgEnv, stdio: 'ignore' });

    const rows: Row[] = [
      { step: 'publish, no Contents', debstash: await d.time('publish', 'snapshot', 's1', '--dist', 'bench'), aptly: await a('publish', 'snapshot', ...signing, '-skip-contents', '-distribution=bench', 's1', 'skip') },
      { step: 'switch to same set', debstash: await d.time('publish', 'switch', 'bench', 's2'), aptly: await a('publish', 'switch', ...signing, '-skip-contents', 'bench', 'skip', 's2') },
      {
        step: 'publish, with Contents (first)',
        debstash: await d.time('publish', 'snapshot', 's1', '--dist', 'contents', '--contents'),
        aptly: await a('publish', 'snapshot', ...signing, '-distribution=contents', 's1', 'contents'),
      },
      {
        step: 'publish, with Contents (again)',
        debstash: await d.time('publish', 'snapshot', 's2', '--dist', 'contents2', '--contents'),
        aptly: await a('publish', 'snapshot', ...signing, '-distribution=contents2', 's2', 'contents'),
      },
    ];
    console.log('seed snapshot, signed publish:');
    printTable(rows);
    console.log('(debstash writes Packages .gz + .xz and by-hash; aptly .gz + .bz2. "again": a second publish of the same packages elsewhere, file lists from the cache)');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * A local repository of SYNTHETIC_COUNT small .debs: add, snapshot, full publish (debstash with
 * xz, as reprepro; aptly writes gz + bz2 only), then one package added and republished; debstash,
 * aptly and reprepro in the same run.
 */
async function benchSyntheticRepo(): Promise<void> {
  const debs = await syntheticDebs(SYNTHETIC_COUNT);
  const extra = execFileSync('find', [debs.extra, '-name', '*.deb'], { encoding: 'utf8' }).trim();
  const root = await mkdtemp(join(tmpdir(), 'debstash-bench-synthetic-'));
  try {
    const { gpg, d, a, signing } = await syntheticRepoTools(root);
    const { env: gpgEnv, fingerprint } = gpg;

    const rb = join(root, 'reprepro');
    mkdirSync(join(rb, 'conf'), { recursive: true });
    await writeFile(join(rb, 'conf', 'distributions'), `Codename: syn\nArchitectures: amd64\nComponents: main\nSignWith: ${fingerprint}\nDebIndices: Packages Release . .gz .xz\n`);
    const r = (...args: string[]): Promise<Measurement> => measure(['reprepro', '-b', rb, ...args], gpgEnv);
    const includeAll = `find '${debs.dir}' -name '*.deb' -print0 | xargs -0 reprepro -b '${rb}' --export=silent-never includedeb syn`;

    const rows: Row[] = [
      { step: `add ${debs.count} .debs`, debstash: await d.time('repo', 'add', 'syn', debs.dir), aptly: await a('repo', 'add', 'syn', debs.dir), reprepro: await measure(['sh', '-c', includeAll], gpgEnv) },
      {
        step: 'snapshot',
        debstash: await d.time('snapshot', 'create', 'syn1', '--from-repo', 'syn'),
        aptly: await a('snapshot', 'create', 'syn1', 'from', 'repo', 'syn'),
        reprepro: await r('gensnapshot', 'syn', 'syn1'),
      },
      {
        step: 'full publish',
        debstash: await d.time('publish', 'repo', 'syn', '--dist', 'syn'),
        aptly: await a('publish', 'repo', ...signing, '-skip-contents', 'syn', 'syn'),
        reprepro: await r('export', 'syn'),
      },
      { step: 'add 1 .deb', debstash: await d.time('repo', 'add', 'syn', extra), aptly: await a('repo', 'add', 'syn', extra) },
      {
        step: 'republish after 1 added',
        debstash: await d.time('publish', 'update', 'syn'),
        aptly: await a('publish', 'update', ...signing, '-skip-contents', 'syn', 'syn'),
        reprepro: await r('includedeb', 'syn', extra),
      },
      // debstash only: aptly's Contents step is issue 5's seed comparison.
      { step: 'publish --contents (reads every .deb)', debstash: await d.time('publish', 'repo', 'syn', '--dist', 'withcontents', '--contents') },
      { step: 'republish --contents (cached lists)', debstash: await d.time('publish', 'update', 'withcontents') },
    ];
    console.log(`synthetic local repo of ${debs.count} .debs (${debs.dir}):`);
    printTable(rows);
    console.log('(debstash publishes Packages .gz + .xz (preset 3) and by-hash; aptly .gz + .bz2; reprepro .gz + .xz. reprepro "republish" is includedeb of the one package, which exports)');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
