import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyConfig } from '../../src/config/apply-config.js';
import { configuredClientSources } from '../../src/config/client-sources.js';
import { embeddedDefaultConfig } from '../../src/config/embedded-default.js';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { hostArchitecture } from '../../src/model/host-defaults.js';
import { startServer } from '../../src/server/start-server.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';
import type { DebSpec } from '../helpers/build-deb.js';
import { FaultServer } from '../helpers/fault-server.js';
import { buildArchive, makeTestKey, type TestKey } from '../helpers/fixture-archive.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { runCli } from '../helpers/run-cli.js';

const arch = hostArchitecture();
/** Priority required: what the embedded default's seed filter selects. */
const seed = (name: string, version: string, fields: Record<string, string> = {}): DebSpec => ({ name, version, architecture: arch, extraFields: { Priority: 'required', ...fields } });
const dep = (name: string, version: string): DebSpec => ({ name, version, architecture: arch });

/** The base suite: two seed packages, a library they need, a package the filter leaves out. */
const BASE = [seed('hello', '1.0-1', { Depends: 'libhello1 (>= 1.0)' }), seed('tool', '1.0-1'), dep('libhello1', '1.0-1'), dep('unrelated', '1.0-1')];
/** The point release: tool's update needs a library only the base has; unrelated is outside the filter. */
const UPDATES = [seed('tool', '1.1-1', { Depends: 'libhello1 (>= 1.0)' }), dep('unrelated', '1.1-1')];
/**
 * The security suite, at another URI path: a fix of hello, one of libhello1 (which the filter
 * does not name: the base holds it as a dependency, so its fix is wanted all the same), and a
 * library the mirror holds nowhere (not wanted).
 */
const SECURITY = [seed('hello', '1.0-1+deb12u1'), dep('libhello1', '1.0-1+deb12u1'), dep('libother1', '2.0-1+deb12u1')];

/** One archive of `codename` built by reprepro, its root returned. */
async function suite(dir: string, codename: string, key: TestKey, packages: readonly DebSpec[]): Promise<string> {
  return buildArchive(join(dir, codename), { codename, architectures: [arch], components: { main: packages }, key });
}

/** dpkg's status file for a system that has `packages` installed. */
function dpkgStatus(packages: readonly DebSpec[]): string {
  return packages.map((p) => `Package: ${p.name}\nStatus: install ok installed\nPriority: optional\nSection: misc\nMaintainer: Tests <t@debstash.invalid>\nArchitecture: ${p.architecture}\nVersion: ${p.version}\nDescription: ${p.name}\n`).join('\n');
}

test('the embedded default mirrors and publishes every suite of the host, and apt upgrades from it', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-host-suites-'));
  const key = await makeTestKey(join(dir, 'keys'));
  let upstream: FaultServer | undefined;
  let apt: IsolatedApt | undefined;
  try {
    const [base, updates, security] = await Promise.all([suite(dir, 'bookworm', key, BASE), suite(dir, 'bookworm-updates', key, UPDATES), suite(dir, 'bookworm-security', key, SECURITY)]);
    // As on a Debian host: bookworm and bookworm-updates under one URI, security under another
    // path of the same server, one keyring. The pools' file names differ, so they merge.
    const web = join(dir, 'web');
    await cp(base, join(web, 'debian'), { recursive: true });
    await cp(join(updates, 'dists'), join(web, 'debian', 'dists'), { recursive: true });
    await cp(join(updates, 'pool'), join(web, 'debian', 'pool'), { recursive: true });
    await cp(security, join(web, 'debian-security'), { recursive: true });
    upstream = await FaultServer.start(web);

    const root = join(dir, 'host');
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await mkdir(join(root, 'usr/share/keyrings'), { recursive: true });
    await cp(key.keyring, join(root, 'usr/share/keyrings/test-archive.gpg'));
    const signedBy = 'Signed-By: /usr/share/keyrings/test-archive.gpg';
    await writeFile(
      join(root, 'etc/apt/sources.list.d/debian.sources'),
      `Types: deb\nURIs: ${upstream.url}debian\nSuites: bookworm bookworm-updates\nComponents: main\n${signedBy}\n\n` +
        `Types: deb\nURIs: ${upstream.url}debian-security\nSuites: bookworm-security\nComponents: main\n${signedBy}\n\n` +
        `Types: deb-src\nURIs: ${upstream.url}debian\nSuites: bookworm\nComponents: main\n${signedBy}\n`,
    );

    const config = await embeddedDefaultConfig(root);
    assert.deepEqual(Object.keys(config.mirrors), ['bookworm-main', 'bookworm-updates-main', 'bookworm-security-main']);
    assert.deepEqual(Object.values(config.mirrors).map((m) => [m.url, m.dist, m.deps_from, m.update_deps_from]), [
      [`${upstream.url}debian`, 'bookworm', [], false],
      [`${upstream.url}debian`, 'bookworm-updates', ['bookworm-main'], true],
      [`${upstream.url}debian-security`, 'bookworm-security', ['bookworm-main'], true],
    ]);
    assert.deepEqual(config.publishes.map((p) => [p.prefix, p.dist, p.from]), [
      ['', 'bookworm', [{ mirror: 'bookworm-main' }]],
      ['', 'bookworm-updates', [{ mirror: 'bookworm-updates-main' }]],
      ['', 'bookworm-security', [{ mirror: 'bookworm-security-main' }]],
    ]);

    const ctx = await openEmbeddedContext(join(dir, 'data'));
    const server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
    try {
      const client = new UpstreamClient({ retries: 1, retryBaseDelayMs: 5, retryMaxDelayMs: 20, headersTimeoutMs: 5000, bodyIdleTimeoutMs: 5000, downloadAttempts: 2 });
      const applied = await applyConfig(ctx, config, { client });
      assert.deepEqual(applied.publishes.map((p) => p.dist).sort(), ['bookworm', 'bookworm-security', 'bookworm-updates']);
      // The seed filter's terms mostly match nothing in an update suite: that is no news.
      assert.deepEqual([...new Set(applied.warnings.map((w) => w.mirror))], ['bookworm-main']);
      // Each update suite holds its own packages only (and its fixes of what the base holds); their dependencies are the base's.
      const names = async (m: string): Promise<string[]> => (await ctx.store.mirrorPackages(m)).map((p) => `${p.name}=${p.version}`).sort();
      assert.deepEqual(await names('bookworm-main'), ['hello=1.0-1', 'libhello1=1.0-1', 'tool=1.0-1']);
      assert.deepEqual(await names('bookworm-updates-main'), ['tool=1.1-1']);
      assert.deepEqual(await names('bookworm-security-main'), ['hello=1.0-1+deb12u1', 'libhello1=1.0-1+deb12u1']);

      const { text, urls } = await configuredClientSources(ctx, config, server.url);
      assert.equal(text.match(/^Types:/gm)?.length, 1, `one stanza:\n${text}`);
      assert.match(text, /^Suites: bookworm bookworm-updates bookworm-security$/m);
      // The server offers the same stanza, as `up` says.
      assert.deepEqual(urls, [`${server.url}/client/bookworm,bookworm-updates,bookworm-security.sources`]);
      assert.equal(await (await fetch(urls[0] ?? '')).text(), text);
      assert.equal((await fetch(`${server.url}/client/bookworm,nope.sources`)).status, 404);
      // `client-config` with the dists prints the same stanza.
      const cli = await runCli(join(dir, 'data'), ['client-config', 'bookworm', 'bookworm-updates', 'bookworm-security', '--url', server.url]);
      assert.equal(cli.status, 0, cli.text);
      assert.equal(cli.text, text);

      apt = await IsolatedApt.create(text);
      const update = await apt.aptGet('update');
      for (const s of ['bookworm', 'bookworm-updates', 'bookworm-security']) assert.match(update.stdout, new RegExp(`^Get:\\d+ ${server.url}/? ${s} InRelease`, 'm'));
      const policy = await apt.aptGet('-s', 'install', 'hello');
      assert.match(policy.stdout, /^Inst hello \(1\.0-1\+deb12u1 /m, 'the security fix is the candidate');

      await writeFile(join(apt.dir, 'var/lib/dpkg/status'), dpkgStatus([...BASE.slice(0, 3), dep('unrelated', '1.0-1')]));
      const upgrade = await apt.aptGet('-s', 'upgrade');
      const proposed = [...upgrade.stdout.matchAll(/^Inst (\S+) \[(\S+)\] \((\S+) /gm)].map((m) => `${m[1]} ${m[2]} -> ${m[3]}`).sort();
      assert.deepEqual(proposed, ['hello 1.0-1 -> 1.0-1+deb12u1', 'libhello1 1.0-1 -> 1.0-1+deb12u1', 'tool 1.0-1 -> 1.1-1']);
    } finally {
      await server.close();
      await closeContext(ctx);
    }
  } finally {
    await apt?.close();
    await upstream?.close();
    await key.close();
    await rm(dir, { recursive: true, force: true });
  }
});
