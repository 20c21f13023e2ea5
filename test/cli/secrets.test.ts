/**
 * Secrets never leak (issue 14 item 6): one whole session with a passphrase-protected key,
 * tokens of every scope, uploads, publishes through the API and the CLI, and failures with
 * wrong tokens and a wrong passphrase; then every output, log, response, process title and
 * file of the data dir is searched for each secret. The only places a secret may appear are
 * the ones made for it: `token create` prints its secret once, server.json holds the server's
 * own admin secret (mode 0600), the key file holds the encrypted key.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildDeb } from '../helpers/build-deb.js';
import { projectRoot } from '../helpers/project-root.js';
import { type CliRun, runCli } from '../helpers/run-cli.js';

const bin = join(projectRoot, 'bin/debstash.js');

/** Everything a secret must not be found in, with where it came from. */
const seen: { where: string; text: string }[] = [];

async function cli(dataDir: string, args: readonly string[], env: Record<string, string> = {}, record = true): Promise<CliRun> {
  const r = await runCli(dataDir, args, { env });
  if (record) seen.push({ where: `debstash ${args.join(' ')}`, text: r.text });
  return r;
}

/** Every process's command line now: what `ps` and /proc show to any local user. */
async function processTitles(): Promise<string> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    out.push(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''));
  }
  return out.join('\n').replace(/\0/g, ' ');
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

let dir: string;
let data: string;
let server: ChildProcess;
let serverLog = '';
let url: string;
const passphrase = `pass-${randomBytes(12).toString('hex')}`;
const wrongPassphrase = `wrong-${randomBytes(12).toString('hex')}`;
const tokens: Record<'read' | 'write' | 'admin', string> = { read: '', write: '', admin: '' };
let adminSecret: string;
let keyMaterial: string[];

async function api(method: string, path: string, token: string | undefined, body?: string | Uint8Array, type = 'application/json'): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': type };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await r.text();
  seen.push({ where: `${method} ${path.replace(/token=[^&]*/, 'token=…')} → ${r.status}`, text: `${JSON.stringify([...r.headers])}\n${text}` });
  return { status: r.status, text };
}

async function waitTask(text: string): Promise<string> {
  const id = (JSON.parse(text) as { task: { id: string } }).task.id;
  for (let i = 0; i < 400; i++) {
    const t = (JSON.parse((await api('GET', `/api/tasks/${id}`, tokens.read)).text) as { task: { state: string } }).task;
    if (t.state !== 'running' && t.state !== 'queued') return t.state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${id} did not end`);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-secrets-'));
  data = join(dir, 'data');
  const pf = join(dir, 'passphrase');
  await writeFile(pf, `${passphrase}\n`, { mode: 0o600 });
  assert.equal((await cli(data, ['key', 'generate', '--name', 'Secrets Test', '--passphrase-file', pf])).status, 0);
  for (const scope of ['read', 'write', 'admin'] as const) {
    const r = await cli(data, ['--json', 'token', 'create', '--scope', scope], {}, false);
    tokens[scope] = (JSON.parse(r.text) as { secret: string }).secret;
  }
  const keyFile = (await readdir(join(data, 'keys'))).find((f) => f.endsWith('.secret.asc'));
  assert.ok(keyFile);
  // The armored (encrypted) key's body lines: any of them in a log means the key was dumped.
  keyMaterial = (await readFile(join(data, 'keys', keyFile), 'utf8')).split('\n').filter((l) => /^[A-Za-z0-9+/]{40,}$/.test(l));
  assert.ok(keyMaterial.length > 0);

  server = spawn(process.execPath, [bin, '-v', 'serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DEBSTASH_DATA_DIR: data, DEBSTASH_KEY_PASSPHRASE_FILE: pf },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.setEncoding('utf8').on('data', (s: string) => (serverLog += s));
  server.stderr?.setEncoding('utf8').on('data', (s: string) => (serverLog += s));
  for (let i = 0; i < 200 && url === undefined; i++) {
    const doc = await readFile(join(data, 'server.json'), 'utf8').catch(() => undefined);
    if (doc !== undefined) ({ url, secret: adminSecret } = JSON.parse(doc) as { url: string; secret: string });
    else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(url, `the server did not start: ${serverLog}`);
});

after(async () => {
  if (server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  await rm(dir, { recursive: true, force: true });
});

test('a whole session leaks no passphrase, token secret or key material anywhere', async () => {
  const deb = await buildDeb(join(dir, 'debs'), { name: 'secret-pkg', version: '1.0', architecture: 'amd64' }, { compression: 'gzip' });
  const titles: string[] = [];

  // API: writes with the right token, and every way of getting it wrong.
  assert.equal((await api('POST', '/api/repos', tokens.write, JSON.stringify({ name: 'r' }))).status, 201);
  const bytes = await readFile(deb);
  assert.equal((await api('POST', '/api/repos/r/packages', `${tokens.write}x`, bytes, 'application/vnd.debian.binary-package')).status, 401);
  assert.equal((await api('POST', '/api/repos/r/packages', tokens.read, bytes, 'application/vnd.debian.binary-package')).status, 403);
  assert.equal((await api('POST', `/api/repos/r/packages?token=${tokens.write}`, undefined, bytes, 'application/vnd.debian.binary-package')).status, 401);
  assert.equal((await api('POST', '/api/repos/r/packages', tokens.write, '--x\r\nnot multipart', 'multipart/form-data; boundary=x')).status, 400);
  assert.ok((await api('POST', '/api/repos/r/packages', tokens.write, bytes, 'application/vnd.debian.binary-package')).status < 300);
  assert.equal((await api('POST', '/api/snapshots', tokens.write, JSON.stringify({ name: 's1', fromRepo: 'r' }))).status, 201);
  const published = await api('POST', '/api/publish', tokens.write, JSON.stringify({ source: { kind: 'snapshot', name: 's1' }, dist: 'd' }));
  assert.equal(published.status, 202);
  titles.push(await processTitles());
  assert.equal(await waitTask(published.text), 'succeeded', seen.at(-1)?.text);
  assert.equal((await api('GET', '/api/publish/d', tokens.read)).status, 200);
  await api('GET', '/api/keys', tokens.read);
  await api('GET', '/api/tasks', tokens.admin);
  await api('DELETE', '/api/repos/nope', tokens.admin);
  await api('GET', '/metrics', tokens.admin);
  await api('GET', '/d/InRelease', undefined);

  // The CLI through the server, right and wrong tokens, and a local publish with a wrong passphrase.
  const through = { DEBSTASH_TOKEN: tokens.write };
  assert.equal((await cli(data, ['--server', url, 'snapshot', 'create', 's2', '--from-repo', 'r'], through)).status, 0);
  assert.equal((await cli(data, ['--server', url, 'publish', 'switch', 'd', 's2'], through)).status, 0);
  assert.notEqual((await cli(data, ['--server', url, 'snapshot', 'create', 's3', '--from-repo', 'r'], { DEBSTASH_TOKEN: tokens.read })).status, 0);
  assert.notEqual((await cli(data, ['--server', url, 'snapshot', 'create', 's3', '--from-repo', 'r'], { DEBSTASH_TOKEN: `${tokens.admin}0` })).status, 0);
  const wrong = await cli(data, ['--local', 'publish', 'snapshot', 's1', '--dist', 'e'], { DEBSTASH_KEY_PASSPHRASE: wrongPassphrase });
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.text, /DEBSTASH_E_KEY_PASSPHRASE/);
  titles.push(await processTitles());
  await cli(data, ['token', 'list']);
  await cli(data, ['key', 'list']);
  await cli(data, ['--json', 'db', 'check']);

  server.kill('SIGTERM');
  await once(server, 'exit');
  seen.push({ where: 'the server log', text: serverLog });
  titles.forEach((text, i) => seen.push({ where: `process titles, moment ${i + 1}`, text }));
  for (const file of await filesUnder(data)) {
    const where = file.slice(data.length + 1);
    // server.json holds the admin secret by design (0600); keys/ holds the encrypted key.
    if (where.startsWith('keys/') || where === 'server.json') continue;
    seen.push({ where, text: (await readFile(file)).toString('latin1') });
  }
  const keyFiles = (await filesUnder(join(data, 'keys'))).map(async (f) => ({ where: f.slice(data.length + 1), text: await readFile(f, 'latin1') }));

  const secrets: [string, string][] = [
    ['the passphrase', passphrase],
    ['a wrong passphrase', wrongPassphrase],
    ['the read token', tokens.read],
    ['the write token', tokens.write],
    ['the admin token', tokens.admin],
    ['the server admin secret', adminSecret],
    ...keyMaterial.map((line, i): [string, string] => [`line ${i + 1} of the armored key`, line]),
  ];
  const leaks: string[] = [];
  for (const [what, secret] of secrets) {
    for (const { where, text } of seen) if (text.includes(secret)) leaks.push(`${what} in ${where}`);
  }
  // The key file itself is encrypted: the passphrase is never written beside it.
  for (const { where, text } of await Promise.all(keyFiles)) if (text.includes(passphrase)) leaks.push(`the passphrase in ${where}`);
  assert.deepEqual(leaks, []);
  assert.ok(seen.length > 25, `only ${seen.length} places searched`);
});
