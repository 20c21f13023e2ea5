/**
 * Crash anywhere (issue 14 item 1): state-changing commands (and `apply`, the refresh that `up`
 * runs on its schedule) are SIGKILLed at seeded random
 * moments while a `debstash serve` keeps serving the same data dir, as a cron job beside a
 * running server would be killed by an OOM killer or a power cut. After each kill:
 * `db check` finds nothing wrong, a real apt-get still updates and downloads from the publish
 * the server was serving, and running the killed command again completes (or says the thing
 * it creates already exists, when the kill came after its commit).
 *
 * CRASH_SEED replays a run (the seed and the iteration are in every failure message);
 * CRASH_ITERATIONS runs more (default 50, over two chains that run at once).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildDeb, type DebSpec } from '../helpers/build-deb.js';
import { buildArchive } from '../helpers/fixture-archive.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';
import { ServedDataDir } from './served-data-dir.js';

// Fixed, so CI picks the same commands and moments each run (timing still varies a little).
const SEED = Number(process.env.CRASH_SEED ?? 1401);
const ITERATIONS = Number(process.env.CRASH_ITERATIONS ?? 50);
const CHAINS = 2;

const deb = (name: string, version: string): DebSpec => ({ name, version, architecture: 'amd64', extraFields: { Depends: 'libfoo1 (>= 1.0), mail-transport-agent | postfix', 'Pre-Depends': 'base' } });

/** One served data dir and the commands to interrupt on it. */
class Chain extends ServedDataDir {
  readonly snapshots: string[] = ['s0'];
  readonly durations = new Map<string, number>();
  private debs = 0;
  private appVersion = 1;

  constructor(
    readonly id: number,
    fx: MirrorFixture,
    data: string,
    readonly random: () => number,
  ) {
    super(fx, data);
  }

  async newDebs(n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await buildDeb(join(this.data, '..', `debs-${this.id}`), { name: `local${this.debs++}`, version: '1.0', architecture: 'amd64' }, { compression: 'gzip' }));
    return out;
  }

  /** A new version of a package the filter selects: something to download and publish. */
  async changeUpstream(): Promise<void> {
    this.appVersion++;
    await buildArchive(this.fx.dir, { codename: 'testing', architectures: ['amd64', 'i386'], components: { main: [deb('app', `1.${this.appVersion}-1`)], contrib: [] }, key: this.fx.key, distributionFields: { ValidFor: '7d' } });
  }

  async config(): Promise<string> {
    const file = join(this.data, '..', 'debstash.yaml');
    const yaml = [
      'mirrors:',
      '  ym:',
      `    url: ${this.fx.server.url}`,
      '    dist: testing',
      '    components: [main, contrib]',
      '    architectures: [amd64, i386]',
      `    keyring: [${this.fx.key.keyring}]`,
      `    filter: "${FILTER}"`,
      '    with_deps: true',
      'publishes:',
      '  - dist: yd',
      '    from: [ { mirror: ym } ]',
      '    keep: 3',
    ];
    await writeFile(file, `${yaml.join('\n')}\n`);
    return file;
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)] as T;
  }

  /** The next command to interrupt, with what it needs prepared first. */
  async nextCommand(i: number): Promise<{ kind: string; args: string[]; creates?: string }> {
    const kind = this.pick(['update', 'add', 'snapshot', 'merge', 'switch', 'publish', 'republish', 'apply']);
    switch (kind) {
      case 'update':
        await this.changeUpstream();
        return { kind, args: ['mirror', 'update', 'm'] };
      case 'apply':
        // debstash.yaml's own mirror, snapshot and publish: what `up` runs on its schedule.
        await this.changeUpstream();
        return { kind, args: ['apply', '--config', await this.config()] };
      case 'add':
        return { kind, args: ['repo', 'add', 'r', ...(await this.newDebs(3))] };
      case 'snapshot':
        return { kind, args: ['snapshot', 'create', `s${i}`, '--from-mirror', 'm'], creates: `s${i}` };
      case 'merge':
        return { kind, args: ['snapshot', 'merge', `s${i}`, this.pick(this.snapshots), this.pick(this.snapshots)], creates: `s${i}` };
      case 'switch':
        return { kind, args: ['publish', 'switch', 'd', this.pick(this.snapshots)] };
      case 'publish':
        return { kind, args: ['publish', 'snapshot', this.pick(this.snapshots), '--dist', `e${i}`, '--contents'] };
      default:
        return { kind, args: ['publish', 'update', 'rr'] };
    }
  }

  async iteration(i: number): Promise<string> {
    const { kind, args, creates } = await this.nextCommand(i);
    const expected = this.durations.get(kind) ?? 700;
    const delay = Math.round(this.random() * expected);
    const where = `seed ${SEED}, chain ${this.id}, iteration ${i}: debstash ${args.join(' ')} killed after ${delay} ms`;
    const killed = await this.run(args, delay);
    // Finished before the kill: aim the next kill of this kind inside its real duration.
    if (killed.signal !== 'SIGKILL') this.durations.set(kind, Math.max(150, killed.ms * 0.95));

    await this.checkClean(where);
    await this.aptWorks(where);
    const again = await this.run(args);
    const committedBefore = again.status === 1 && /DEBSTASH_E_(SNAPSHOT|PUBLISH)_EXISTS/.test(again.text);
    assert.ok(again.status === 0 || committedBefore, `${where}: the command again: ${again.text}`);
    if (creates !== undefined) this.snapshots.push(creates);
    return killed.signal === 'SIGKILL' ? `${kind}:killed` : `${kind}:finished`;
  }

}

describe(`crash anywhere (seed ${SEED}, ${ITERATIONS} kills)`, { timeout: 20 * 60_000 }, () => {
  const chains: Chain[] = [];

  before(async () => {
    for (let c = 0; c < CHAINS; c++) {
      const fx = await mirrorFixture();
      chains.push(new Chain(c, fx, join(fx.dir, 'data'), seededRandom(SEED * CHAINS + c)));
    }
    await Promise.all(chains.map(async (c) => c.setUp(await c.newDebs(2))));
  });

  after(async () => {
    for (const c of chains) {
      await c.close();
      await c.fx.close();
    }
  });

  test('after every kill: db check is clean, apt is served, the command completes when run again', async (t) => {
    const outcomes = new Map<string, number>();
    await Promise.all(
      chains.map(async (chain) => {
        for (let i = 1 + chain.id; i <= ITERATIONS; i += CHAINS) {
          const o = await chain.iteration(i);
          outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        }
      }),
    );
    t.diagnostic(`seed ${SEED}: ${[...outcomes].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const killed = [...outcomes].filter(([k]) => k.endsWith(':killed')).reduce((n, [, v]) => n + v, 0);
    assert.ok(killed >= ITERATIONS / 2, `only ${killed} of ${ITERATIONS} commands were killed before they finished`);
  });
});
