import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostUpstream } from '../../src/upstream/host-apt-sources.js';
import { reachableHostArchive } from '../helpers/host-archive.js';
import { projectRoot } from '../helpers/project-root.js';
import { buildNodeImage, DEBIAN_IMAGE, importDebianImage, NODE_IMAGE } from './base-images.js';
import { ComposeProject } from './compose-project.js';
import { findProgram, startDockerEngine } from './docker-engine.js';
import { mustRun } from './run-tool.js';

/**
 * The container deployment end to end with a real Docker Engine and Debian's docker-compose:
 * build the Dockerfile, bring compose.yaml up (the client waits for the mirror's healthcheck),
 * check that the client installed from the mirror only, then replace the mirror's signing key
 * and check that a client still trusting the old one is refused.
 */

const MIRROR_URL = 'http://mirror:8080';
const PACKAGES_NEEDED = 'docker.io docker-compose iptables debootstrap';

/** The archive the images are built from, or why this test must skip. */
async function hostForContainers(): Promise<HostUpstream | string> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'starting a Docker Engine needs root on Linux';
  if (findProgram('dockerd') === undefined) return `no Docker Engine on this machine (no dockerd); to run this test: apt-get install ${PACKAGES_NEEDED}`;
  const upstream = await reachableHostArchive();
  if (typeof upstream !== 'string' && upstream.suite !== 'bookworm') return `the images are Debian bookworm, but this machine's apt source is ${upstream.suite}`;
  return upstream;
}

const host = await hostForContainers();

test('compose: the client installs postgresql and python3 from the mirror only, and a replaced key locks out old clients', { skip: typeof host === 'string' ? host : false, timeout: 25 * 60_000 }, async (t) => {
  const missing = ['docker', 'docker-compose', 'iptables', 'debootstrap'].filter((p) => findProgram(p) === undefined);
  assert.deepEqual(missing, [], `dockerd is here but not the rest; apt-get install ${PACKAGES_NEEDED}`);
  assert.ok(typeof host !== 'string');
  const upstream = host;
  const began = Date.now();
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await fn();
    t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  };

  const composeVersion = (await mustRun('docker-compose', ['version', '--short'], { timeoutMs: 30_000 })).stdout.trim();
  const work = await mkdtemp(join(tmpdir(), 'debstash-compose-'));
  const engine = await step('start dockerd', () => startDockerEngine(findProgram('dockerd') as string, join(work, 'engine'))).catch(async (err: unknown) => {
    await rm(work, { recursive: true, force: true });
    throw err;
  });
  t.diagnostic(`RUNNING against a real Docker Engine ${engine.version} (private socket, data-root under ${work}) with docker-compose ${composeVersion}`);
  const env: NodeJS.ProcessEnv = { ...engine.env, DEBSTASH_IMAGE: `localhost/debstash:test-${process.pid}`, CLIENT_IMAGE: DEBIAN_IMAGE, DEBSTASH_PORT: '127.0.0.1:0' };
  // compose.yaml's own defaults are what is under test, not whatever this shell exports.
  for (const name of ['DEBSTASH_PACKAGES', 'DEBSTASH_UPSTREAM', 'CLIENT_PACKAGES', 'COMPOSE_FILE', 'COMPOSE_PROJECT_NAME']) delete env[name];
  const project = new ComposeProject(`debstash-test-${process.pid}`, projectRoot, env);
  try {
    const debian = await step('Debian base image (debootstrap, import)', () => importDebianImage(env, upstream));
    t.diagnostic(`debootstrap tarball ${debian.cached ? 'from the cache of today' : 'made now'}`);
    await step('Node base image', () => buildNodeImage(env));
    await step('docker build of the Dockerfile', () =>
      mustRun('docker', ['build', '--network', 'host', '--build-arg', `BASE=${NODE_IMAGE}`, '-t', env.DEBSTASH_IMAGE as string, projectRoot], { env, timeoutMs: 18 * 60_000 }),
    );

    const size = await mustRun('docker', ['image', 'inspect', '--format', '{{.Size}}', env.DEBSTASH_IMAGE as string], { env, timeoutMs: 30_000 });
    t.diagnostic(`debstash image: ${(Number(size.stdout.trim()) / 1e6).toFixed(0)} MB`);

    // up returns once the client is started, which compose does only when the mirror is healthy.
    await step('compose up until the mirror is healthy', () => project.must(['up', '-d', '--no-build'], 10 * 60_000));
    const client = await project.containerId('client');
    const exit = await step('client: apt-get update, install', () => mustRun('docker', ['wait', client], { env, timeoutMs: 5 * 60_000 }));
    const logs = await mustRun('docker', ['logs', client], { env, timeoutMs: 30_000 });
    const output = logs.stdout + logs.stderr;
    assert.equal(exit.stdout.trim(), '0', `the client failed:\n${output.slice(-4000)}`);
    assert.match(output, /^installed postgresql /m);
    assert.match(output, /^installed python3 /m);
    const fetched = [...output.matchAll(/^(?:Get|Hit|Ign|Err):\d+ (\S+)/gm)].map((m) => m[1]);
    assert.ok(fetched.length > 20, `apt fetched only ${fetched.length} things:\n${output.slice(-4000)}`);
    assert.deepEqual(fetched.filter((url) => url !== MIRROR_URL && !url?.startsWith(`${MIRROR_URL}/`)), [], 'apt used a source other than the mirror');

    const port = (await project.must(['port', 'mirror', '8080'], 30_000)).stdout.trim();
    const ready = await fetch(`http://${port}/readyz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(ready.status, 200, 'the published port serves /readyz');

    // A client that trusts the key of before: the .sources the first client got.
    const oldSources = join(work, 'old.sources');
    await mustRun('docker', ['cp', `${client}:/etc/apt/sources.list.d/debstash.sources`, oldSources], { env, timeoutMs: 30_000 });

    const newKey = await step('replace the signing key and republish', async () => {
      const key = JSON.parse(await project.debstash(['--json', 'key', 'generate', '--name', 'debstash mirror (replacement)'])) as { fingerprint: string; keyId: string };
      await project.debstash(['key', 'default', key.fingerprint]);
      const publishes = JSON.parse(await project.debstash(['--json', 'publish', 'list'])) as { dist: string; prefix: string; source: { name: string }; keyFingerprint: string }[];
      const current = publishes.find((p) => p.dist === 'bookworm' && p.prefix === '');
      assert.ok(current !== undefined, 'bookworm is published');
      assert.notEqual(current.keyFingerprint, key.fingerprint);
      await project.debstash(['publish', 'drop', 'bookworm']);
      await project.debstash(['publish', 'snapshot', current.source.name, '--dist', 'bookworm']);
      return key;
    });

    const old = await step('client with the old key: apt-get update', () =>
      project.run(['run', '--rm', '--no-deps', '-v', `${oldSources}:/tmp/old.sources:ro`, 'client', 'sh', '-c', 'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; cp /tmp/old.sources /etc/apt/sources.list.d/debstash.sources; apt-get update'], 5 * 60_000),
    );
    assert.notEqual(old.code, 0, `apt-get update trusted the mirror signed with a key it does not know:\n${old.stdout}${old.stderr}`);
    assert.match(old.stdout + old.stderr, new RegExp(`NO_PUBKEY ${newKey.keyId}`));

    const fresh = await step('client with the new .sources: apt-get update', () => project.run(['run', '--rm', '--no-deps', '-e', 'PACKAGES=', 'client'], 5 * 60_000));
    assert.equal(fresh.code, 0, `a client fetching the new .sources failed:\n${fresh.stdout}${fresh.stderr}`);
  } finally {
    await step('compose down -v', () => project.run(['down', '-v', '-t', '5'], 5 * 60_000)).catch((err: unknown) => t.diagnostic(`compose down: ${String(err)}`));
    await step('stop dockerd, delete its data-root', () => engine.stop());
    await rm(work, { recursive: true, force: true });
    t.diagnostic(`whole test: ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
});
