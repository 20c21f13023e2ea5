/**
 * A real PostgreSQL server for tests: Debian's binaries (package `postgresql`), a cluster made
 * by initdb in a temp dir, listening on a free 127.0.0.1 port (its socket in the same dir),
 * stopped by its PID. Run as the `postgres` user when the tests run as root (initdb refuses
 * root), as the current user otherwise. Importing this starts nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './free-port.js';

export interface PostgresServer {
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** The superuser's password (in the URLs). */
  readonly password: string;
  /** A URL of database `db` (which need not exist). */
  url(db: string, password?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** The server's PID (what stop signals); another after resume(). */
  readonly pid: number;
  /** Stops the server (fast shutdown) and keeps its data: the database is down until resume(). */
  halt(): Promise<void>;
  /** Starts the halted server again on the same port, with the same data; resolves once it answers. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'debstash';

/** The bin dir of the newest installed PostgreSQL, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** Why PostgreSQL tests must skip here, or undefined when they can run. */
export function postgresMissing(): string | undefined {
  return postgresBinDir() === undefined ? 'PostgreSQL is not installed (apt-get install postgresql; .ci/run installs it)' : undefined;
}

/** uid and gid to run the server as: `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const out = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (out.status !== 0 || gid.status !== 0) throw new Error('running as root, and there is no postgres user to run PostgreSQL as');
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function run(bin: string, args: string[], as: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(as ?? {}) });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited ${code}: ${err}`))));
  });
}

/** Starts a server; call only when postgresMissing() is undefined. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(postgresMissing());
  const as = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'debstash-pg-'));
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  await writeFile(join(dir, 'pw'), password);
  if (as !== undefined) chownSync(dir, as.uid, as.gid);
  if (as !== undefined) chownSync(join(dir, 'pw'), as.uid, as.gid);
  await run(join(bin, 'initdb'), ['-D', data, '-U', USER, `--pwfile=${join(dir, 'pw')}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8'], as);
  const port = await freePort();
  const url = (db: string, pw = password): string => `postgres://${USER}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${db}`;
  let log = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const kill = (): void => {
    try {
      if (child?.pid !== undefined) process.kill(child.pid, 'SIGINT');
    } catch {
      // gone already
    }
  };
  process.once('exit', kill);
  const launch = async (): Promise<void> => {
    // fsync off and small buffers: a throwaway cluster, started fast, never crash-safe.
    const c: ChildProcess = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=60'],
      { stdio: ['ignore', 'ignore', 'pipe'], ...(as ?? {}) },
    );
    child = c;
    c.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url('postgres') });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (c.exitCode !== null || Date.now() > deadline) {
          kill();
          throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
        }
        await sleep(100);
      }
    }
  };
  const halt = async (): Promise<void> => {
    // SIGINT: PostgreSQL's fast shutdown (ends sessions, no waiting for clients).
    kill();
    await Promise.race([exited, sleep(20_000, undefined, { ref: false })]);
  };
  try {
    await launch();
  } catch (err) {
    process.removeListener('exit', kill);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    password,
    get pid(): number {
      return child?.pid ?? 0;
    },
    url,
    halt,
    resume: launch,
    async createDatabase(name: string): Promise<string> {
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async stop(): Promise<void> {
      process.removeListener('exit', kill);
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
