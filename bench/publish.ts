import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveGnuTime, measure } from './measure.js';
import { aptly, debstash, SEED_FILTER } from './mirror.js';
import { printTable, type Row } from './report.js';
import { benchUpstream } from './upstream.js';

const bin = fileURLToPath(new URL('../../bin/debstash.js', import.meta.url));

/**
 * Signed publish of the seed snapshot, both tools in the same run: aptly with and without
 * Contents (debstash writes no Contents yet), then a republish of the same snapshot.
 */
export async function benchPublish(): Promise<void> {
  if (!haveGnuTime()) throw new Error('bench needs GNU time: apt-get install time');
  const up = await benchUpstream();
  const root = await mkdtemp(join(tmpdir(), 'debstash-bench-publish-'));
  try {
    const gnupg = join(root, 'gnupg');
    mkdirSync(gnupg, { mode: 0o700 });
    const gpgEnv = { ...process.env, GNUPGHOME: gnupg };
    execFileSync('gpg', ['--batch', '--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', 'Bench <bench@debstash.invalid>', 'ed25519', 'sign', 'never'], { env: gpgEnv, stdio: 'ignore' });
    const fpr = /^fpr:+([0-9A-F]+):/m.exec(execFileSync('gpg', ['--batch', '--with-colons', '--list-keys'], { env: gpgEnv, encoding: 'utf8' }))?.[1] ?? '';

    const ours = debstash(root, up);
    const theirs = aptly(root, up);
    for (const t of [ours, theirs]) t.create('seed', SEED_FILTER);
    await ours.update('seed');
    await theirs.update('seed');

    const env = { ...process.env, DEBSTASH_DATA_DIR: join(root, 'debstash') };
    const cli = (...args: string[]): string => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
    cli('-q', 'key', 'generate');
    cli('-q', 'snapshot', 'create', 's1', '--from-mirror', 'seed');
    cli('-q', 'snapshot', 'create', 's2', '--from-mirror', 'seed');
    const conf = join(root, 'aptly.conf');
    const a = (...args: string[]): string => execFileSync('aptly', [`-config=${conf}`, ...args], { env: gpgEnv, encoding: 'utf8' });
    a('snapshot', 'create', 's1', 'from', 'mirror', 'seed');
    a('snapshot', 'create', 's2', 'from', 'mirror', 'seed');

    const oursFirst = await measure([process.execPath, bin, '-q', 'publish', 'snapshot', 's1', '--dist', 'bench'], env);
    const oursSwitch = await measure([process.execPath, bin, '-q', 'publish', 'switch', 'bench', 's2'], env);
    const signing = ['-batch', `-gpg-key=${fpr}`];
    const aptlySkip = await measure(['aptly', `-config=${conf}`, 'publish', 'snapshot', ...signing, '-skip-contents', '-distribution=bench', 's1', 'skip'], gpgEnv);
    const aptlySwitch = await measure(['aptly', `-config=${conf}`, 'publish', 'switch', ...signing, '-skip-contents', 'bench', 'skip', 's2'], gpgEnv);
    const aptlyContents = await measure(['aptly', `-config=${conf}`, 'publish', 'snapshot', ...signing, '-distribution=bench', 's1', 'contents'], gpgEnv);
    const rows: Row[] = [
      { step: 'publish, no Contents', debstash: oursFirst, aptly: aptlySkip },
      { step: 'switch to same set', debstash: oursSwitch, aptly: aptlySwitch },
      { step: 'publish, with Contents', debstash: { wallS: NaN, cpuS: NaN, maxRssMB: NaN, stdout: '' }, aptly: aptlyContents },
    ];
    printTable(rows);
    console.log('(debstash writes no Contents yet; its publish also writes .xz and by-hash, aptly writes gz + bz2)');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
