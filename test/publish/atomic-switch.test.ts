import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { parseRelease } from '../../src/deb/release.js';
import { publishTree } from '../../src/publish/publish-tree.js';
import type { PackageEntry } from '../../src/store/records.js';
import { FaultServer } from '../helpers/fault-server.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { publishFixture, sourcesEntry, tryApt, viewLocator, type PublishFixture } from './publish-fixture.js';
import { entryOf, syntheticPackage } from './synthetic-repo.js';

let f: PublishFixture;
let server: FaultServer;
let setA: PackageEntry[];
let setB: PackageEntry[];
/** One package of its own per publish, so that every generation has new indexes. */
const fillers: PackageEntry[] = [];

before(async () => {
  f = await publishFixture();
  const hello = await f.deb({ name: 'hello', version: '1.0-1', architecture: 'amd64', depends: 'hello-data' });
  const data = await f.deb({ name: 'hello-data', version: '1.0-1', architecture: 'all' });
  const tool1 = await f.deb({ name: 'tool', version: '1.0', architecture: 'amd64' });
  const tool2 = await f.deb({ name: 'tool', version: '2.0', architecture: 'amd64' });
  const extra = await f.deb({ name: 'extra', version: '5', architecture: 'all' });
  setA = [hello, data, tool1];
  setB = [hello, data, tool2, extra];
  for (let i = 0; i <= 30; i++) {
    const p = syntheticPackage(i, 99);
    await f.pool.put(Readable.from([p.content]), { sha256: p.sha256, size: p.content.length });
    fillers.push(entryOf(p));
  }
  server = await FaultServer.start(f.root, { locate: viewLocator(f.store, [f.pool]) });
  // Slow index downloads a little, so that updates straddle switches.
  server.inject(/\/by-hash\//, { delayMs: 15 });
});

after(async () => {
  await server?.close();
  await f?.close();
});

const publish = (packages: readonly PackageEntry[], n: number): Promise<unknown> =>
  publishTree({
    root: f.root,
    prefix: '',
    dist: 'switch',
    components: [
      { name: 'main', packages: [...packages, fillers[n]] },
      { name: 'extra', packages: n % 3 === 0 ? [] : packages.slice(0, 1) },
    ],
    architectures: ['amd64', 'arm64'],
    meta: { origin: 'Switch' },
    signer: f.signer,
    store: f.store,
    pool: f.pool,
    // Publishes come every ~0.1 s here; a client slowed down by a busy machine may take longer
    // than 2 of them between InRelease and its indexes. Retention is tested elsewhere.
    keepGenerations: 10,
  });

/** Fetches InRelease, then every index it lists by SHA-512 as apt does; returns what did not match. */
async function fetchLikeApt(): Promise<string[]> {
  const inRelease = Buffer.from(await (await fetch(`${server.url}dists/switch/InRelease`)).arrayBuffer());
  const release = parseRelease(Buffer.from(splitClearsigned(inRelease).signed).toString('utf8'));
  const problems: string[] = [];
  await Promise.all(
    [...(release.sha512?.values() ?? [])].map(async (e) => {
      const dir = e.path.slice(0, e.path.lastIndexOf('/'));
      const res = await fetch(`${server.url}dists/switch/${dir}/by-hash/SHA512/${e.sha512}`);
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || body.length !== e.size || createHash('sha512').update(body).digest('hex') !== e.sha512) {
        problems.push(`${e.path}: ${res.status}, ${body.length} bytes`);
      }
    }),
  );
  return problems;
}

test('apt-get update running while publish switches back and forth never fails', async () => {
  await publish(setA, 0);
  let publishing = true;
  const failures: string[] = [];
  let aptRuns = 0;
  let fetchRuns = 0;

  const aptLoop = async (id: number): Promise<void> => {
    for (let i = 0; (publishing || i < 2) && i < 40; i++) {
      // A fresh client each time: every run downloads InRelease and every index.
      const apt = await IsolatedApt.create(sourcesEntry(server.url, 'switch', ['main', 'extra'], f.signer.keyring));
      try {
        const update = await tryApt(apt, 'update');
        aptRuns++;
        if (!update.ok) failures.push(`apt ${id}.${i} update: ${update.out}`);
        else if (i % 3 === id) {
          const install = await tryApt(apt, 'install', '--download-only', '-y', 'hello', 'tool');
          if (!install.ok) failures.push(`apt ${id}.${i} install: ${install.out}`);
        }
      } finally {
        await apt.close();
      }
    }
  };
  const fetchLoop = async (): Promise<void> => {
    while (publishing) {
      const problems = await fetchLikeApt();
      fetchRuns++;
      failures.push(...problems);
    }
  };
  const publishLoop = async (): Promise<void> => {
    try {
      for (let n = 1; n <= 30; n++) {
        await publish(n % 2 === 1 ? setB : setA, n);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      publishing = false;
    }
  };
  await Promise.all([publishLoop(), aptLoop(0), aptLoop(1), fetchLoop()]);
  assert.deepEqual(failures, []);
  console.log(`${aptRuns} apt runs, ${fetchRuns} fetch runs`);
  assert.ok(aptRuns >= 4, `only ${aptRuns} apt runs`);
  assert.ok(fetchRuns >= 10, `only ${fetchRuns} fetch runs`);
});
