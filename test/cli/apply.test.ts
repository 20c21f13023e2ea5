import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { applyConfig } from '../../src/config/apply-config.js';
import type { DebstashConfig } from '../../src/config/config-schema.js';
import { formatPlan } from '../../src/config/format-plan.js';
import { loadConfig } from '../../src/config/load-config.js';
import { planApply, planKeys } from '../../src/config/plan-apply.js';
import { storedFingerprints } from '../../src/keys/key-store.js';
import { openSigner } from '../../src/keys/open-signer.js';
import { clientConfig } from '../../src/model/client-config.js';
import { addToRepo } from '../../src/model/repo-ops.js';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { startServer } from '../../src/server/start-server.js';
import { type ConfigFixture, configFixture } from '../config/config-fixture.js';
import { buildDeb } from '../helpers/build-deb.js';
import { isCode } from '../helpers/coded-error.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { projectRoot } from '../helpers/project-root.js';
import { freePort } from '../helpers/free-port.js';

const run = promisify(execFile);
const bin = join(projectRoot, 'bin/debstash.js');

async function cli(dataDir: string, config: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  try {
    const r = await run(process.execPath, [bin, '--config', config, '--data-dir', dataDir, ...args], { env: { ...process.env, DEBSTASH_KEY_PASSPHRASE: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: performance.now() - started };
  }
}

let f: ConfigFixture;
const contexts: Context[] = [];
async function context(): Promise<Context> {
  const ctx = await openEmbeddedContext(await f.dataDir());
  contexts.push(ctx);
  return ctx;
}
const steps = (list: readonly { action: string }[]): string[] => list.map((s) => s.action);

/** The plan reads `lines`, and apply then does those steps, in that order. */
async function planThenApply(ctx: Context, config: DebstashConfig, lines: readonly string[]): Promise<void> {
  const plan = (await planApply(ctx, config, { client: f.client })).steps;
  assert.equal(formatPlan(plan), lines.join('\n'));
  assert.deepEqual(steps((await applyConfig(ctx, config, { client: f.client })).steps), steps(plan));
}

before(async () => {
  f = await configFixture();
});
after(async () => {
  for (const ctx of contexts) await closeContext(ctx);
  await f.close();
});

test('apply --plan on an empty data dir prints the golden plan and changes nothing', async () => {
  const config = await f.writeConfig(f.configText());
  const data = await f.dataDir();
  const human = await cli(data, config, 'apply', '--plan');
  assert.equal(human.code, 0, human.stderr);
  const golden = await readFile(join(projectRoot, 'test/cli/apply-plan.golden.txt'), 'utf8');
  assert.equal(human.stdout.replaceAll(f.url, 'http://127.0.0.1:PORT'), golden);
  assert.match(human.stderr, /config: .*debstash\.yaml/);

  const json = await cli(data, config, '--json', 'apply', '--plan');
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout.replaceAll(f.url, 'http://127.0.0.1:PORT')).steps, [
    { action: 'generate-key', algorithm: 'ed25519' },
    { action: 'create-mirror', mirror: 'testing', url: 'http://127.0.0.1:PORT', dist: 'testing' },
    { action: 'update-mirror', mirror: 'testing', reason: 'new mirror' },
    { action: 'snapshot', snapshot: 'testing-1', publish: '/ testing', from: [{ mirror: 'testing' }], ifChanged: false },
    { action: 'publish', publish: '/ testing', prefix: '', dist: 'testing', snapshot: 'testing-1' },
  ]);
  const ctx = await openEmbeddedContext(data);
  try {
    assert.deepEqual(await ctx.store.listMirrors(), []);
    assert.deepEqual(await storedFingerprints(ctx.store), [], 'no key made by a plan');
  } finally {
    await closeContext(ctx);
  }
});

test('apply publishes what a real apt installs from; a second apply does nothing, in well under a second', async (t) => {
  const ctx = await context();
  const config = await loadConfig(await f.writeConfig(f.configText()));
  const first = await applyConfig(ctx, config, { client: f.client });
  assert.deepEqual(steps(first.steps), ['generate-key', 'create-mirror', 'update-mirror', 'snapshot', 'publish']);
  assert.equal(first.publishes[0]?.source.name, 'testing-1');

  const server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
  const apt = await IsolatedApt.create(await clientConfig(ctx, 'testing', { url: server.url }));
  try {
    await apt.aptGet('update');
    const out = await apt.aptGet('install', '-y', '--download-only', 'hello');
    assert.match(out.stdout, /Download complete and in download only mode/);
    assert.deepEqual([...new Set([...out.stdout.matchAll(/^Get:\d+ (\S+)/gm)].map((m) => m[1]))], [server.url], 'every package came from the mirror');
    await assert.rejects(apt.aptGet('install', '-y', '--download-only', 'unrelated'), /Unable to locate package unrelated/, 'the filter kept it out');
  } finally {
    await apt.close();
    await server.close();
  }

  const started = performance.now();
  const second = await applyConfig(ctx, config, { client: f.client });
  const ms = performance.now() - started;
  assert.deepEqual(second.steps, []);
  assert.ok(ms < 1000, `a no-op apply took ${ms.toFixed(0)} ms`);
  assert.deepEqual(await planApply(ctx, config, { client: f.client }), { steps: [], warnings: [] }, 'and the plan is empty');
  t.diagnostic(`no-op apply (in process): ${ms.toFixed(0)} ms`);
});

test('the CLI apply reports its steps, then "nothing to do" with its time', async (t) => {
  const config = await f.writeConfig(f.configText());
  const data = await f.dataDir();
  const first = await cli(data, config, 'apply');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^applied in [\d.]+s:\n\+ generate signing key/);
  const second = await cli(data, config, 'apply');
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /^nothing to do: the store matches the config \(0\.\d\ds\)\n$/);
  t.diagnostic(`CLI: first apply ${first.ms.toFixed(0)} ms, no-op apply ${second.ms.toFixed(0)} ms (process start included); ${second.stdout.trim()}`);
});

test('an upstream change: the plan says update, snapshot, switch and drop beyond keep; apply does exactly that', async () => {
  const ctx = await context();
  const config = await loadConfig(await f.writeConfig(f.configText({ filter: 'hello | newpkg', keep: 1 })));
  await applyConfig(ctx, config, { client: f.client });
  await f.addPackage({ name: 'newpkg', version: '1', architecture: 'amd64' });
  await planThenApply(ctx, config, [
    '~ update mirror testing (upstream changed: +1 -0 packages)',
    '+ snapshot testing-2 of mirror testing',
    '~ switch / testing from snapshot testing-1 to testing-2',
    '- drop snapshot testing-1 (older than the kept ones of / testing)',
  ]);
  assert.deepEqual((await ctx.store.listSnapshots()).map((s) => s.name), ['testing-2']);
  assert.deepEqual((await applyConfig(ctx, config, { client: f.client })).steps, []);
});

test('a changed filter: the plan names the setting; the snapshot waits on what the update finds', async () => {
  const ctx = await context();
  await applyConfig(ctx, await loadConfig(await f.writeConfig(f.configText())), { client: f.client });
  const edited = await loadConfig(await f.writeConfig(f.configText({ filter: 'hello | unrelated' })));
  await planThenApply(ctx, edited, [
    '~ edit mirror testing: filter',
    '~ update mirror testing (settings changed)',
    '+ snapshot testing-2 of mirror testing (if the update changes its packages)',
    '~ switch / testing from snapshot testing-1 to testing-2',
  ]);
  assert.ok((await ctx.store.snapshotPackages('testing-2')).some((p) => p.name === 'unrelated'));
});

test('filter terms that match nothing: apply and a later plan name them; strict_filter fails apply, changing nothing', async () => {
  const text = f.configText({ filter: 'hello | Priority (requird)' });
  const warning = 'warning: mirror testing: filter term `Priority (requird)` matched no package in testing main amd64';
  const data = await f.dataDir();
  const strict = await cli(data, await f.writeConfig(`strict_filter: true\n${text}`), 'apply');
  assert.equal(strict.code, 1, strict.stderr);
  assert.match(strict.stderr, /DEBSTASH_E_FILTER_UNMATCHED: mirror "testing" \(mirrors\.testing\): filter term `Priority \(requird\)`/);
  const ctx = await openEmbeddedContext(data);
  try {
    assert.equal((await ctx.store.getMirror('testing'))?.updatedAt, undefined, 'the mirror was never updated');
    assert.deepEqual(await ctx.store.listSnapshots(), []);
  } finally {
    await closeContext(ctx);
  }

  const config = await f.writeConfig(text);
  const applied = await cli(data, config, 'apply');
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim().split('\n').at(-1), warning);
  // The upstream and the filter are unchanged: the plan knows the warning from the last update.
  const plan = await cli(data, config, 'apply', '--plan');
  assert.equal(plan.stdout, `nothing to do: the store matches the config\n${warning}\n`);
  const json = await cli(data, config, '--json', 'apply', '--plan');
  assert.deepEqual(JSON.parse(json.stdout).warnings, [
    { mirror: 'testing', code: 'DEBSTASH_E_FILTER_UNMATCHED', message: warning.replace('warning: mirror testing: ', ''), term: 'Priority (requird)' },
  ]);
  // An edited filter is known only after the update.
  const edited = await cli(data, await f.writeConfig(f.configText({ filter: 'hello | Priorty (required)' })), 'apply', '--plan');
  assert.doesNotMatch(edited.stdout, /warning/);
});

test('apply --plan after another config published the same dist from a mirror it names differently (npm start, then a debstash.yaml)', async () => {
  const data = await f.dataDir();
  // As the embedded default does: the publish comes from a mirror the yaml does not have.
  const first = await cli(data, await f.writeConfig(f.configText()), 'apply');
  assert.equal(first.code, 0, first.stderr);
  const renamed = f.configText().replace('  testing:\n', '  renamed:\n').replace('{ mirror: testing }', '{ mirror: renamed }');
  const plan = await cli(data, await f.writeConfig(renamed), 'apply', '--plan');
  assert.equal(plan.code, 0, plan.stderr);
  assert.equal(
    plan.stdout.replaceAll(f.url, 'URL'),
    [
      'plan:',
      '+ create mirror renamed (URL testing)',
      '~ update mirror renamed (new mirror)',
      '+ snapshot renamed-1 of mirror renamed (if the update changes its packages)',
      '~ switch / testing from snapshot testing-1 to renamed-1',
      '',
    ].join('\n'),
  );
});

test('client-config gives the URL the config serves on: server.listen, a host name for a wildcard, --url over both', async () => {
  const data = await f.dataDir();
  const config = await f.writeConfig(f.configText({ listen: '127.0.0.1:18080' }));
  assert.equal((await cli(data, config, 'apply')).code, 0);
  const uris = (r: { stdout: string }): string | undefined => /^URIs: (.*)$/m.exec(r.stdout)?.[1];
  const configured = await cli(data, config, 'client-config', 'testing');
  assert.equal(configured.code, 0, configured.stderr);
  assert.equal(uris(configured), 'http://127.0.0.1:18080');
  assert.equal(uris(await cli(data, config, 'client-config', 'testing', '--url', 'http://mirror.example:80/')), 'http://mirror.example:80');
  const wildcard = await cli(data, await f.writeConfig(f.configText({ listen: '0.0.0.0:8081' })), 'client-config', 'testing');
  assert.equal(uris(wildcard), `http://${hostname()}:8081`);
  assert.match(wildcard.stderr, /every address .* this machine's name .* --url/);
});

test('server.public_url and keep_generations: stored with the publish, every Release names the URL in Snapshots:, client-config gives it to clients', async () => {
  const data = await f.dataDir();
  const config = await f.writeConfig(f.configText().replace('server:\n', 'server:\n  public_url: http://mirror.internal:9999/\n').replace('    keep: 2\n', '    keep: 2\n    keep_generations: 7\n'));
  const applied = await cli(data, config, 'apply');
  assert.equal(applied.code, 0, applied.stderr);
  const [record] = JSON.parse((await cli(data, config, 'publish', 'list', '--json')).stdout) as { publicUrl?: string; keepGenerations?: number }[];
  assert.deepEqual([record?.publicUrl, record?.keepGenerations], ['http://mirror.internal:9999', 7]);
  assert.match(await readFile(join(data, 'public/dists/testing/Release'), 'utf8'), /^Snapshots: http:\/\/mirror\.internal:9999\/snapshots\/@SNAPSHOTID@\/$/m);
  const sources = await cli(data, config, 'client-config', 'testing');
  assert.equal(sources.code, 0, sources.stderr);
  assert.match(sources.stdout, /^URIs: http:\/\/mirror\.internal:9999$/m);
  // Without the setting, the URL the publish was made with.
  const plain = await cli(data, await f.writeConfig(f.configText()), 'client-config', 'testing');
  assert.match(plain.stdout, /^URIs: http:\/\/mirror\.internal:9999$/m);
});

test('a mirror URL that does not answer is a coded error naming the mirror', async () => {
  const ctx = await context();
  const config = await loadConfig(await f.writeConfig(f.configText({ url: `http://127.0.0.1:${await freePort()}` })));
  await assert.rejects(applyConfig(ctx, config, { client: f.client }), isCode('DEBSTASH_E_UPSTREAM_UNREACHABLE', /^mirror "testing" \(mirrors\.testing\): /));
  assert.deepEqual(await ctx.store.listPublishes(), []);
});

test('an upstream signed by a key not in the keyring is a coded error naming the mirror', async () => {
  const ctx = await context();
  const config = await loadConfig(await f.writeConfig(f.configText({ keyring: f.otherKey.keyring })));
  await assert.rejects(applyConfig(ctx, config, { client: f.client }), isCode('DEBSTASH_E_SIGNATURE_UNKNOWN_KEY', /^mirror "testing" \(mirrors\.testing\): .*not in the keyring/));
  const plan = await cli(await f.dataDir(), await f.writeConfig(f.configText({ keyring: f.otherKey.keyring })), 'apply');
  assert.equal(plan.code, 1);
  assert.match(plan.stderr, /DEBSTASH_E_SIGNATURE_UNKNOWN_KEY: mirror "testing" \(mirrors\.testing\)/);
});

test('a config error stops apply before anything is done (exit 2, file:line and setting)', async () => {
  const data = await f.dataDir();
  const r = await cli(data, await f.writeConfig(f.configText().replace('    filter:', '    filtr:')), 'apply');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /DEBSTASH_E_CONFIG_INVALID: .*debstash\.yaml:8:5: mirrors\.testing\.filtr: unknown setting "filtr"/);
});

test('keys: import a key once (its fingerprint signs the publish); a passphrase from the environment protects a generated one', async () => {
  const secret = join(f.dir, 'signing.key');
  await writeFile(secret, await f.otherKey.gpg.exportSecretKey(f.otherKey.fingerprint));
  const ctx = await context();
  const imported = await loadConfig(await f.writeConfig(`keys:\n  import: ${secret}\n${f.configText()}`));
  assert.deepEqual(steps((await planApply(ctx, imported, { client: f.client })).steps).slice(0, 1), ['import-key']);
  const done = await applyConfig(ctx, imported, { client: f.client });
  assert.equal(done.steps[0]?.action, 'import-key');
  assert.equal(done.publishes[0]?.keyFingerprint, f.otherKey.fingerprint);
  assert.deepEqual(await planKeys(ctx, imported), [], 'imported once');

  const protectedCtx = await context();
  const withPass = await loadConfig(await f.writeConfig(`keys:\n  passphrase_env: TEST_PASS\n${f.configText()}`));
  await assert.rejects(applyConfig(protectedCtx, withPass, { client: f.client, env: {} }), isCode('DEBSTASH_E_KEY_PASSPHRASE', /keys\.passphrase_env: environment variable TEST_PASS is not set/));
  await applyConfig(protectedCtx, withPass, { client: f.client, env: { TEST_PASS: 'correct horse battery' } });
  await assert.rejects(openSigner(protectedCtx.store), isCode('DEBSTASH_E_KEY_PASSPHRASE'), 'the generated key is stored protected');
});

test('a publish from a mirror and a repo merges both; a package added to the repo makes the next apply snapshot and switch', async () => {
  const ctx = await context();
  const text = f.configText().replace('publishes:', 'repos:\n  internal:\n    comment: our own\npublishes:').replace('from: [{ mirror: testing }]', 'from: [{ mirror: testing }, { repo: internal }]');
  const config = await loadConfig(await f.writeConfig(text));
  assert.deepEqual(steps((await applyConfig(ctx, config, { client: f.client })).steps), ['generate-key', 'create-mirror', 'update-mirror', 'create-repo', 'snapshot', 'publish']);
  assert.equal((await ctx.store.getRepo('internal'))?.comment, 'our own');
  const ours = await buildDeb(join(f.dir, 'ours'), { name: 'our-tool', version: '1.0', architecture: 'amd64' }, { compression: 'xz' });
  await addToRepo(ctx, 'internal', [ours]);
  await planThenApply(ctx, config, ['+ snapshot testing-2 of mirror testing + repo internal', '~ switch / testing from snapshot testing-1 to testing-2']);
  assert.deepEqual((await ctx.store.snapshotPackages('testing-2')).map((p) => p.name).sort(), ['hello', 'libhello1', 'our-tool']);
  assert.equal((await ctx.store.getSnapshot('testing-2'))?.description, 'for publish / testing: mirror testing, repo internal');
});
