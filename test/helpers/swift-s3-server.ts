import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync, closeSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** The Debian packages .ci/run installs for this helper. */
export const SWIFT_PACKAGES = 'swift swift-proxy swift-object swift-container swift-account python3-swift memcached';

/** tempauth's user `test:tester` with key `testing` (the proxy config below). */
export const SWIFT_CREDENTIALS = { accessKeyId: 'test:tester', secretAccessKey: 'testing' } as const;

/** Swift's scripts need Debian's python (the one with `import swift`), not a pyenv shim on PATH. */
const PYTHON = '/usr/bin/python3';
const SERVERS = ['account', 'container', 'object', 'proxy'] as const;

/**
 * A real S3 endpoint: OpenStack Swift (proxy with s3api + tempauth, account, container and
 * object servers, memcached) from Debian's packages, on free ports of 127.0.0.1, its rings,
 * configs and data in a temp dir. Stopped by the PIDs it started. The recipe and its pitfalls:
 * shared/notes/s3-swift-local.md.
 */
export class SwiftS3Server {
  private constructor(
    readonly endpoint: string,
    private readonly dir: string,
    private readonly children: ChildProcess[],
  ) {}

  /** Why Swift cannot run here, or undefined when it can. */
  static missing(): string | undefined {
    for (const f of ['/usr/bin/swift-proxy-server', '/usr/bin/swift-object-server', '/usr/bin/swift-container-server', '/usr/bin/swift-account-server', '/usr/bin/swift-ring-builder', '/usr/bin/memcached', '/etc/swift/swift.conf', PYTHON]) {
      if (!existsSync(f)) return `OpenStack Swift is not installed (${f} missing): apt-get install ${SWIFT_PACKAGES}`;
    }
    return undefined;
  }

  static async start(): Promise<SwiftS3Server> {
    const dir = await mkdtemp(join(tmpdir(), 'debstash-swift-'));
    const children: ChildProcess[] = [];
    const server = (endpoint: string): SwiftS3Server => new SwiftS3Server(endpoint, dir, children);
    try {
      const ports = { proxy: await freePort(), object: await freePort(), container: await freePort(), account: await freePort(), memcached: await freePort() };
      const etc = join(dir, 'etc');
      await Promise.all(['etc', 'data/d1', 'log'].map((d) => mkdir(join(dir, d), { recursive: true })));
      for (const n of ['account', 'container', 'object'] as const) await writeFile(join(etc, `${n}-server.conf`), storageConf(n, ports[n], dir));
      await writeFile(join(etc, 'proxy-server.conf'), proxyConf(ports.proxy, ports.memcached, dir));
      // The three rings are independent: built at once, each a create/add/rebalance chain.
      await Promise.all(
        (['account', 'container', 'object'] as const).map(async (n) => {
          const builder = (...args: string[]): Promise<unknown> => run(PYTHON, ['/usr/bin/swift-ring-builder', `${n}.builder`, ...args], { cwd: etc });
          await builder('create', '10', '1', '1');
          await builder('add', '--region', '1', '--zone', '1', '--ip', '127.0.0.1', '--port', String(ports[n]), '--device', 'd1', '--weight', '100');
          await builder('rebalance');
        }),
      );
      const logTo = (name: string): number => openSync(join(dir, 'log', `${name}.log`), 'a');
      const start = (name: string, cmd: string, args: string[]): void => {
        const fd = logTo(name);
        const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', fd, fd] });
        closeSync(fd);
        children.push(child);
        // A test process that ends without its after hooks (an uncaught error) leaves no server behind.
        const orphaned = (): void => void child.kill('SIGKILL');
        process.once('exit', orphaned);
        child.once('exit', () => process.off('exit', orphaned));
      };
      // memcached refuses to run as root without -u; tempauth needs the proxy's cache filter, which works without it but logs errors.
      start('memcached', '/usr/bin/memcached', ['-l', '127.0.0.1', '-p', String(ports.memcached), '-m', '64', ...(process.getuid?.() === 0 ? ['-u', 'memcache'] : [])]);
      // -v: log to stdout; without it Swift logs to /dev/log, which may not exist.
      for (const n of SERVERS) start(n, PYTHON, [`/usr/bin/swift-${n}-server`, join(etc, `${n}-server.conf`), '-v']);
      const endpoint = `http://127.0.0.1:${ports.proxy}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        // A proxy that accepts and never answers must not hold the start past its deadline.
        const ok = await fetch(`${endpoint}/healthcheck`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        const dead = children.find((c) => c.exitCode !== null);
        if (dead !== undefined || Date.now() > deadline) throw new Error(`Swift did not come up${dead !== undefined ? ` (${String(dead.spawnargs.join(' '))} exited ${dead.exitCode})` : ''}:\n${await server(endpoint).logTail()}`);
        await sleep(100);
      }
      return server(endpoint);
    } catch (err) {
      await server('').stop();
      throw err;
    }
  }

  /** A client for this endpoint with the settings Swift's s3api needs (see the notes). */
  client(maxAttempts = 1): S3Client {
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    return new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: SWIFT_CREDENTIALS,
      maxAttempts,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000, requestTimeout: 30_000 },
    });
  }

  /**
   * Creates a bucket. Right after start Swift answers 503 ("Please reduce your request rate")
   * until the account and container servers settle, so that is retried, 30 s at most.
   */
  async createBucket(name: string): Promise<void> {
    const client = this.client();
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await client.send(new CreateBucketCommand({ Bucket: name }));
          return;
        } catch (err) {
          const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
          if (e.name === 'BucketAlreadyOwnedByYou') return;
          const status = e.$metadata?.httpStatusCode ?? 0;
          if ((status !== 503 && status !== 500 && e.name !== 'SlowDown') || Date.now() > deadline) throw err;
          await sleep(200);
        }
      }
    } finally {
      client.destroy();
    }
  }

  /** The end of every log, for a failure message. */
  async logTail(): Promise<string> {
    const parts: string[] = [];
    for (const n of ['memcached', ...SERVERS]) {
      const text = await readFile(join(this.dir, 'log', `${n}.log`), 'utf8').catch(() => '');
      parts.push(`--- ${n}\n${text.split('\n').slice(-15).join('\n')}`);
    }
    return parts.join('\n');
  }

  /** Stops what it started, by PID (SIGTERM, then SIGKILL after 10 s), and removes its files. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
        const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
        c.kill('SIGTERM');
        const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
        if (!killed) {
          c.kill('SIGKILL');
          await exited;
        }
      }),
    );
    this.children.length = 0;
    await rm(this.dir, { recursive: true, force: true });
  }
}

function storageConf(kind: 'account' | 'container' | 'object', port: number, dir: string): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
devices = ${join(dir, 'data')}
mount_check = false
swift_dir = ${join(dir, 'etc')}
log_name = ${kind}-server
log_level = WARNING

[pipeline:main]
pipeline = ${kind}-server

[app:${kind}-server]
use = egg:swift#${kind}
`;
}

function proxyConf(port: number, memcachedPort: number, dir: string): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${join(dir, 'etc')}
log_name = proxy-server
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachedPort}

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes
`;
}
