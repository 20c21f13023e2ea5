import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../helpers/project-root.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';

const bin = join(projectRoot, 'bin/debstash.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(dataDir: string, args: readonly string[], signalAfter?: (stderr: string) => boolean): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, DEBSTASH_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (!signalled && signalAfter?.(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('debstash mirror (CLI)', () => {
  let fx: MirrorFixture;
  let dataDir: string;
  before(async () => {
    fx = await mirrorFixture();
    dataDir = await mkdtemp(join(fx.dir, 'cli-data-'));
  });
  after(() => fx.close());

  test('create, update, show --json, list, drop', async () => {
    const created = await cli(dataDir, ['mirror', 'create', 'm', fx.server.url, 'testing', 'main', 'contrib', '--arch', 'amd64,i386', '--filter', FILTER, '--with-deps', '--keyring', fx.key.keyring]);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /created mirror m: .* testing \[main contrib\] amd64,i386/);

    const dry = await cli(dataDir, ['mirror', 'update', 'm', '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /would have 14 packages: \+14 -0, download 14 files/);
    assert.match(dry.stdout, /^ {2}\+ app 1\.0-1 amd64$/m);

    const updated = await cli(dataDir, ['mirror', 'update', 'm']);
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stdout, /m: 14 packages: \+14 -0, downloaded 14 files/);
    // Not a terminal: progress is JSON lines on stderr, and the unresolved dependency is named.
    const events = updated.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: string });
    assert.ok(events.some((e) => e.type === 'progress'));
    assert.ok(events.some((e) => e.type === 'warning' && e.message?.includes('broken_1_amd64: missing-package (>= 2)')));

    const shown = await cli(dataDir, ['--json', 'mirror', 'show', 'm']);
    assert.equal(shown.status, 0);
    const doc = JSON.parse(shown.stdout) as { name: string; packages: Record<string, unknown>[]; unresolved: unknown[] };
    assert.equal(doc.name, 'm');
    assert.equal(doc.packages.length, 14);
    assert.deepEqual(Object.keys(doc.packages[0] ?? {}).sort(), ['architecture', 'filename', 'name', 'sha256', 'size', 'version']);
    assert.deepEqual(doc.unresolved, [{ package: 'broken_1_amd64', dependency: 'missing-package (>= 2)' }]);

    const again = await cli(dataDir, ['--json', 'mirror', 'update', 'm']);
    assert.equal(again.status, 0);
    assert.equal((JSON.parse(again.stdout) as { upToDate: boolean }).upToDate, true);

    const list = await cli(dataDir, ['mirror', 'list']);
    assert.match(list.stdout, /^m: .* 14 packages, updated /m);
    assert.equal((await cli(dataDir, ['mirror', 'drop', 'm'])).status, 0);
    assert.match((await cli(dataDir, ['mirror', 'list'])).stdout, /no mirrors/);
  });

  test('exit codes: 1 for a failed operation, 2 for usage errors', async () => {
    const missing = await cli(dataDir, ['mirror', 'update', 'nope']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /DEBSTASH_E_MIRROR_NOT_FOUND: no mirror named "nope"/);
    const badFilter = await cli(dataDir, ['mirror', 'create', 'x', fx.server.url, 'testing', '--filter', 'Priority (required']);
    assert.equal(badFilter.status, 2);
    assert.match(badFilter.stderr, /DEBSTASH_E_QUERY_SYNTAX: column 19/);
    const badName = await cli(dataDir, ['mirror', 'create', '../x', fx.server.url, 'testing']);
    assert.equal(badName.status, 2);
    const noArgs = await cli(dataDir, ['mirror', 'create']);
    assert.equal(noArgs.status, 2);
    const badConcurrency = await cli(dataDir, ['mirror', 'update', 'x', '--concurrency', 'lots']);
    assert.equal(badConcurrency.status, 2);
  });

  test('a filter term that matches nothing: a warning in the summary and in --json; --strict-filter fails, committing nothing', async () => {
    const data = await mkdtemp(join(fx.dir, 'cli-filter-'));
    const create = await cli(data, ['mirror', 'create', 'w', fx.server.url, 'testing', 'main', '--arch', 'amd64', '--filter', 'app', '--keyring', fx.key.keyring]);
    assert.equal(create.status, 0, create.stderr);
    assert.equal((await cli(data, ['mirror', 'update', 'w'])).status, 0);
    const shown = async (): Promise<unknown> => {
      const d = JSON.parse((await cli(data, ['--json', 'mirror', 'show', 'w'])).stdout) as { packages: unknown; updatedAt: unknown };
      return [d.packages, d.updatedAt];
    };
    const before = await shown();

    assert.equal((await cli(data, ['mirror', 'edit', 'w', '--filter', 'Priority (requird) | app'])).status, 0);
    const strict = await cli(data, ['mirror', 'update', 'w', '--strict-filter']);
    assert.equal(strict.status, 1, strict.stderr);
    assert.match(strict.stderr, /DEBSTASH_E_FILTER_UNMATCHED: filter term `Priority \(requird\)` matched no package in testing main amd64/);
    assert.deepEqual(await shown(), before, 'the mirror as it was: same packages, same update time');

    const warned = await cli(data, ['mirror', 'update', 'w']);
    assert.equal(warned.status, 0, warned.stderr);
    assert.match(warned.stdout, /^warning: filter term `Priority \(requird\)` matched no package in testing main amd64$/m);

    assert.equal((await cli(data, ['mirror', 'edit', 'w', '--filter', 'Priorty (required) | app'])).status, 0);
    const json = await cli(data, ['--json', 'mirror', 'update', 'w']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual((JSON.parse(json.stdout) as { warnings: unknown }).warnings, [
      {
        code: 'DEBSTASH_E_FILTER_UNMATCHED',
        message: 'filter term `Priorty (required)` matched no package in testing main amd64 (no package has a field Priorty: did you mean Priority?)',
        term: 'Priorty (required)',
        unknownField: 'Priorty',
        didYouMean: 'Priority',
      },
    ]);

    assert.equal((await cli(data, ['mirror', 'edit', 'w', '--filter', 'Priority (required) | app'])).status, 0);
    const clean = await cli(data, ['--json', 'mirror', 'update', 'w']);
    assert.deepEqual((JSON.parse(clean.stdout) as { warnings: unknown }).warnings, []);
  });

  test('Ctrl-C during an update stops cleanly: exit 1, nothing committed', async () => {
    const { server } = await fx.copy();
    server.inject(/\.deb$/, { delayMs: 200 });
    assert.equal((await cli(dataDir, ['mirror', 'create', 'c', server.url, 'testing', 'main', '--arch', 'amd64', '--keyring', fx.key.keyring])).status, 0);
    const r = await cli(dataDir, ['mirror', 'update', 'c', '--concurrency', '1'], (stderr) => stderr.includes('"phase":"download"'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /DEBSTASH_E_CANCELLED/);
    const shown = JSON.parse((await cli(dataDir, ['--json', 'mirror', 'show', 'c'])).stdout) as { packages: unknown[]; updatedAt: unknown };
    assert.deepEqual(shown.packages, []);
    assert.equal(shown.updatedAt, null);
  });

  test('--policy on-demand: the update defers every file and says so; db check is clean; bad policies and budgets are usage errors', async () => {
    const data = await mkdtemp(join(fx.dir, 'cli-lazy-'));
    const bad = await cli(data, ['mirror', 'create', 'x', fx.server.url, 'testing', '--policy', 'sometimes', '--keyring', fx.key.keyring]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /DEBSTASH_E_USAGE.*policy "sometimes" is not one of immediate, on-demand, cache-on-serve/);
    const created = await cli(data, ['mirror', 'create', 'lazy', fx.server.url, 'testing', 'main', '--arch', 'amd64', '--filter', 'app', '--with-deps', '--policy', 'on-demand', '--keyring', fx.key.keyring]);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /created mirror lazy: .* 0 packages \(on-demand\), never updated/);
    const updated = await cli(data, ['mirror', 'update', 'lazy']);
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stdout, /lazy: (\d+) packages: \+\1 -0, downloaded 0 files \(0 B\)\n\1 files \(.+\) are deferred: fetched from upstream at a client's first request/);
    const shown = JSON.parse((await cli(data, ['--json', 'mirror', 'show', 'lazy'])).stdout) as { config: { policy?: string } };
    assert.equal(shown.config.policy, 'on-demand');
    const check = await cli(data, ['db', 'check']);
    assert.equal(check.status, 0, check.stdout);
    assert.match(check.stdout, /0 missing, \d+ on demand \(fetched at first request\)/);
    const budget = await cli(data, ['db', 'cleanup', '--on-demand-budget', 'lots']);
    assert.equal(budget.status, 2);
    assert.match(budget.stderr, /DEBSTASH_E_USAGE: --on-demand-budget "lots"/);
    const evict = await cli(data, ['db', 'cleanup', '--on-demand-max-age', '30d', '--on-demand-budget', '1G']);
    assert.equal(evict.status, 0, evict.stderr);
    assert.match(evict.stdout, /evicted 0 on-demand files, 0 B/);
  });
});
