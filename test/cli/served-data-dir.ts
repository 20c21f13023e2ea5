import assert from 'node:assert/strict';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { type CliRun, runCli } from '../helpers/run-cli.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { FILTER, type MirrorFixture } from '../model/mirror-fixture.js';

/**
 * A data dir as production has one: a key, mirror `m` of the fixture upstream, snapshot `s0`
 * published as `d`, repo `r` published as `rr`, a `debstash serve` running on it and a real
 * apt client of `d`. For tests that hurt the commands beside the server and check that apt
 * never notices.
 */
export class ServedDataDir {
  private serve?: ServeProcess;
  private apt?: IsolatedApt;
  /** The running server's URL, once set up. */
  url = '';

  constructor(
    readonly fx: MirrorFixture,
    readonly data: string,
    /** Extra environment of the server (limits, log level). */
    readonly serveEnv: Readonly<Record<string, string>> = {},
  ) {}

  /** Runs a command on the data dir itself (not through the server), as a cron job does. */
  run(args: readonly string[], killAfterMs?: number): Promise<CliRun> {
    return runCli(this.data, ['--local', ...args], killAfterMs === undefined ? {} : { killAfterMs });
  }

  async ok(args: readonly string[]): Promise<CliRun> {
    const r = await this.run(args);
    assert.equal(r.status, 0, `debstash ${args.join(' ')} on ${this.data}: ${r.text}`);
    return r;
  }

  async setUp(repoDebs: readonly string[]): Promise<void> {
    await this.ok(['key', 'generate', '--name', 'Served Data Dir']);
    await this.ok(['mirror', 'create', 'm', this.fx.server.url, 'testing', 'main', 'contrib', '--arch', 'amd64,i386', '--filter', FILTER, '--with-deps', '--keyring', this.fx.key.keyring]);
    await this.ok(['mirror', 'update', 'm']);
    await this.ok(['repo', 'create', 'r']);
    await this.ok(['repo', 'add', 'r', ...repoDebs]);
    await this.ok(['snapshot', 'create', 's0', '--from-mirror', 'm']);
    await this.ok(['publish', 'snapshot', 's0', '--dist', 'd']);
    await this.ok(['publish', 'repo', 'r', '--dist', 'rr']);
    this.serve = await startServeProcess(this.data, { env: this.serveEnv });
    this.url = this.serve.url;
    this.apt = await IsolatedApt.create((await this.ok(['client-config', 'd', '--url', this.url])).text);
  }

  /** A real apt-get update and download of `app` from `d`; the error says why when apt fails. */
  async aptWorks(where: string): Promise<string> {
    assert.ok(this.apt, 'setUp first');
    try {
      await this.apt.aptGet('update');
      const r = await this.apt.aptGet('install', '--download-only', '-y', 'app');
      return r.stdout;
    } catch (err) {
      return assert.fail(`${where}: apt against the running server failed: ${String((err as { stderr?: string }).stderr ?? err)}`);
    }
  }

  /** `db check` finds nothing wrong. */
  async checkClean(where: string): Promise<void> {
    const check = await runCli(this.data, ['db', 'check']);
    assert.equal(check.status, 0, `${where}: db check: ${check.text}`);
  }

  /** What the server wrote on stderr: its JSON log lines. */
  serverLog(): string {
    return this.serve?.stderr() ?? '';
  }

  /** Whether the server process is still running. */
  serverAlive(): boolean {
    return this.serve?.child.exitCode === null && this.serve.child.signalCode === null;
  }

  async close(): Promise<void> {
    await this.serve?.stop();
    await this.apt?.close();
  }
}
