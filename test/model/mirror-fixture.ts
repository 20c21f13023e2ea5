import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebSpec } from '../helpers/build-deb.js';
import { FaultServer } from '../helpers/fault-server.js';
import { buildArchive, makeTestKey, type TestKey } from '../helpers/fixture-archive.js';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';

const deb = (name: string, version: string, architecture: string, fields: Record<string, string> = {}): DebSpec => ({
  name,
  version,
  architecture,
  extraFields: fields,
});

/**
 * The upstream of the mirror tests: two components, two architectures, and every shape of
 * dependency the resolver must handle.
 */
export const UPSTREAM: Readonly<Record<string, readonly DebSpec[]>> = {
  main: [
    deb('app', '1.0-1', 'amd64', { 'Pre-Depends': 'base', Depends: 'libfoo1 (>= 1.0), mail-transport-agent | postfix' }),
    deb('libfoo1', '1.2-1', 'amd64', { 'Multi-Arch': 'same', Depends: 'libfoo-common (= 1.2-1)' }),
    deb('libfoo1', '1.2-1', 'i386', { 'Multi-Arch': 'same', Depends: 'libfoo-common (= 1.2-1)' }),
    deb('libfoo-common', '1.2-1', 'all', { 'Multi-Arch': 'foreign' }),
    deb('base', '3', 'amd64', { Priority: 'required', Essential: 'yes' }),
    deb('exim', '4.96-1', 'amd64', { Provides: 'mail-transport-agent' }),
    deb('postfix', '3.7-1', 'amd64', { Provides: 'mail-transport-agent' }),
    deb('tool', '2.0', 'amd64', { 'Multi-Arch': 'foreign' }),
    deb('i386-app', '1', 'i386', { Depends: 'tool, libfoo1' }),
    deb('cycle-a', '1', 'all', { Depends: 'cycle-b' }),
    deb('cycle-b', '1', 'all', { Depends: 'cycle-a' }),
    deb('broken', '1', 'amd64', { Depends: 'missing-package (>= 2)' }),
    deb('pyvirt', '1', 'all', { Provides: 'python3-virt (= 1.5)' }),
    deb('needs-virt', '1', 'all', { Depends: 'python3-virt (>= 1.0)' }),
    deb('unrelated', '9', 'amd64'),
  ],
  contrib: [deb('extra', '1', 'amd64', { Depends: 'libfoo1' })],
};

export const FILTER = 'app | i386-app | cycle-a | broken | needs-virt | extra';

export interface MirrorFixture {
  readonly dir: string;
  readonly key: TestKey;
  readonly archive: string;
  readonly server: FaultServer;
  /** A client that gives up fast: tests exercise failures, not patience. */
  readonly client: UpstreamClient;
  /** A fresh data dir per call; its metadata in the PostgreSQL database `database` when given. */
  context(database?: string): Promise<Context>;
  /** Copies the archive to a new directory served by a new server, for tests that damage it. */
  copy(): Promise<{ archive: string; server: FaultServer }>;
  close(): Promise<void>;
}

export async function mirrorFixture(): Promise<MirrorFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-mirror-'));
  const key = await makeTestKey(dir);
  const archive = await buildArchive(dir, {
    codename: 'testing',
    architectures: ['amd64', 'i386'],
    components: UPSTREAM,
    key,
    distributionFields: { ValidFor: '7d' },
  });
  const server = await FaultServer.start(archive);
  const client = new UpstreamClient({ retries: 2, retryBaseDelayMs: 5, retryMaxDelayMs: 20, headersTimeoutMs: 400, bodyIdleTimeoutMs: 400, downloadAttempts: 2 });
  const contexts: Context[] = [];
  const servers: FaultServer[] = [];
  let copies = 0;
  return {
    dir,
    key,
    archive,
    server,
    client,
    async context(database?: string) {
      const ctx = await openEmbeddedContext(await mkdtemp(join(dir, 'data-')), database);
      contexts.push(ctx);
      return ctx;
    },
    async copy() {
      const target = join(dir, `copy-${++copies}`);
      await cp(archive, target, { recursive: true });
      const s = await FaultServer.start(target);
      servers.push(s);
      return { archive: target, server: s };
    },
    async close() {
      await client.close();
      for (const ctx of contexts) await closeContext(ctx);
      for (const s of [server, ...servers]) await s.close();
      await key.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
