import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebSpec } from '../helpers/build-deb.js';
import { buildArchive, makeTestKey, type TestKey } from '../helpers/fixture-archive.js';
import { FaultServer } from '../helpers/fault-server.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';

const deb = (name: string, version: string, fields: Record<string, string> = {}): DebSpec => ({ name, version, architecture: 'amd64', extraFields: fields });

/** The upstream of the apply/up tests: a package with a dependency, and one outside the filter. */
const PACKAGES: readonly DebSpec[] = [deb('hello', '1.0-1', { Depends: 'libhello1 (>= 1.0)' }), deb('libhello1', '1.0-1'), deb('unrelated', '2')];

export interface ConfigFixture {
  readonly dir: string;
  readonly key: TestKey;
  /** A key that did not sign the archive, for the "wrong keyring" case. */
  readonly otherKey: TestKey;
  readonly server: FaultServer;
  /** Gives up fast: tests exercise failures, not patience. */
  readonly client: UpstreamClient;
  /** The archive URL without trailing slash, as a mirror stores it. */
  readonly url: string;
  /** Adds a package to the upstream (a new Release). */
  addPackage(spec: DebSpec): Promise<void>;
  /** debstash.yaml text for this upstream, with the settings tests vary. */
  configText(options?: { filter?: string; keep?: number; url?: string; keyring?: string; listen?: string; refresh?: string }): string;
  /** Writes a config into a new directory and returns its path. */
  writeConfig(text: string): Promise<string>;
  /** A fresh, empty data dir. */
  dataDir(): Promise<string>;
  close(): Promise<void>;
}

export async function configFixture(): Promise<ConfigFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-config-'));
  const key = await makeTestKey(dir);
  const otherKey = await makeTestKey(join(dir, 'other'), 'Someone Else');
  const spec = { codename: 'testing', architectures: ['amd64'], key, distributionFields: { ValidFor: '7d' } };
  const archive = await buildArchive(dir, { ...spec, components: { main: PACKAGES } });
  const server = await FaultServer.start(archive);
  const client = new UpstreamClient({ retries: 1, retryBaseDelayMs: 5, retryMaxDelayMs: 20, headersTimeoutMs: 2000, bodyIdleTimeoutMs: 2000, downloadAttempts: 2 });
  const url = server.url.replace(/\/$/, '');
  let configs = 0;
  return {
    dir,
    key,
    otherKey,
    server,
    client,
    url,
    async addPackage(p) {
      await buildArchive(dir, { ...spec, components: { main: [p] } });
    },
    configText(o = {}) {
      return [
        'mirrors:',
        '  testing:',
        `    url: ${o.url ?? url}`,
        '    dist: testing',
        '    components: [main]',
        '    architectures: [amd64]',
        `    keyring: [${o.keyring ?? key.keyring}]`,
        `    filter: "${o.filter ?? 'hello'}"`,
        'publishes:',
        '  - dist: testing',
        '    from: [{ mirror: testing }]',
        '    snapshot_name: "{mirror}-{n}"',
        `    keep: ${o.keep ?? 2}`,
        'server:',
        `  listen: ${o.listen ?? '127.0.0.1:0'}`,
        'schedule:',
        `  refresh: ${o.refresh ?? 'off'}`,
        '',
      ].join('\n');
    },
    async writeConfig(text) {
      const file = join(dir, `config-${++configs}`, 'debstash.yaml');
      await mkdir(join(dir, `config-${configs}`), { recursive: true });
      await writeFile(file, text);
      return file;
    },
    dataDir: () => mkdtemp(join(dir, 'data-')),
    async close() {
      await client.close();
      await server.close();
      await key.close();
      await otherKey.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

