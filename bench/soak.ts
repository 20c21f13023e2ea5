// `npm run soak [-- MINUTES]` (default 10): a `debstash up` under everyday load for a while:
// scheduled refreshes against a fixture upstream that changes, API uploads, snapshots and
// publish switches, and 20 apt clients updating and downloading in a loop. Reports errors
// (must be 0), requests served, RSS and open descriptors of the server at start and end
// (must be flat) and event-loop delay p99; exits 1 on any error. Not part of `npm test`.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDeb, type DebSpec } from '../test/helpers/build-deb.js';
import { buildArchive } from '../test/helpers/fixture-archive.js';
import { freePort } from '../test/helpers/free-port.js';
import { IsolatedApt } from '../test/helpers/isolated-apt.js';
import { projectRoot } from '../test/helpers/project-root.js';
import { FILTER, mirrorFixture } from '../test/model/mirror-fixture.js';

const minutes = Number(process.argv[2] ?? process.env.DEBSTASH_SOAK_MINUTES ?? 10);
const CLIENTS = 20;

interface Sample {
  readonly at: number;
  readonly rssMiB: number;
  readonly fds: number;
}

async function sample(pid: number): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024;
  return { at: Date.now(), rssMiB: Math.round(rss * 10) / 10, fds: (await readdir(`/proc/${pid}/fd`)).length };
}

function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name + (labels === '' ? '' : `{${labels}`)) && !line.startsWith('#')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const appDeb = (version: string): DebSpec => ({ name: 'app', version, architecture: 'amd64', extraFields: { Depends: 'libfoo1 (>= 1.0), mail-transport-agent | postfix', 'Pre-Depends': 'base' } });

export async function soak(): Promise<void> {
  const fx = await mirrorFixture();
  const data = join(fx.dir, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const token = `dst_${randomBytes(24).toString('hex')}`;
  const config = join(fx.dir, 'debstash.yaml');
  await writeFile(
    config,
    [
      'mirrors:',
      '  m:',
      `    url: ${fx.server.url}`,
      '    dist: testing',
      '    components: [main, contrib]',
      '    architectures: [amd64, i386]',
      `    keyring: [${fx.key.keyring}]`,
      `    filter: "${FILTER}"`,
      '    with_deps: true',
      'repos:',
      '  local: {}',
      'publishes:',
      '  - dist: soak',
      '    from: [ { mirror: m } ]',
      '    keep: 5',
      'server:',
      `  listen: 127.0.0.1:${port}`,
      '  tokens:',
      '    - { name: soak, scope: admin, secret: "${SOAK_TOKEN}" }',
      'schedule:',
      '  refresh: 30s',
      '',
    ].join('\n'),
  );
  const up: ChildProcess = spawn(process.execPath, [join(projectRoot, 'bin/debstash.js'), 'up', '--config', config], {
    env: { ...process.env, DEBSTASH_DATA_DIR: data, SOAK_TOKEN: token, DEBSTASH_RATE_WRITE: '0', DEBSTASH_RATE_SEARCH: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  up.stderr?.setEncoding('utf8').on('data', (s: string) => (log += s));
  for (let i = 0; i < 600 && !/^debstash: ready/m.test(log); i++) await sleep(100);
  if (!/^debstash: ready/m.test(log)) throw new Error(`up did not get ready: ${log.slice(-2000)}`);

  const errors: string[] = [];
  const fail = (what: string, err: unknown): void => {
    errors.push(`${new Date().toISOString()} ${what}: ${String((err as { stderr?: string }).stderr ?? err).slice(0, 500)}`);
  };
  const api = async (method: string, path: string, body?: Uint8Array | string, type = 'application/json'): Promise<unknown> => {
    const r = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': type }, ...(body !== undefined ? { body } : {}) });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return JSON.parse(text) as unknown;
  };
  const waitTask = async (answer: unknown): Promise<void> => {
    const id = (answer as { task: { id: string } }).task.id;
    for (;;) {
      const t = ((await api('GET', `/api/tasks/${id}`)) as { task: { state: string; error?: unknown } }).task;
      if (t.state === 'succeeded') return;
      if (t.state !== 'running' && t.state !== 'queued') throw new Error(`task ${id} ${t.state}: ${JSON.stringify(t.error)}`);
      await sleep(100);
    }
  };

  const sources = await (await fetch(`${url}/client/soak.sources`)).text();
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => IsolatedApt.create(sources)));
  const start = await sample(up.pid ?? 0);
  const startMetrics = await (await fetch(`${url}/metrics`)).text();
  const deadline = Date.now() + minutes * 60_000;
  const samples: Sample[] = [start];
  let aptRuns = 0;
  let uploads = 0;
  let switches = 0;
  let upstreamChanges = 0;
  const debDir = join(fx.dir, 'uploads');

  const loops = [
    // The upstream changes every 20 s; `up` refreshes every 30 s.
    (async () => {
      for (let v = 2; Date.now() < deadline; v++) {
        await sleep(20_000);
        try {
          await buildArchive(fx.dir, { codename: 'testing', architectures: ['amd64', 'i386'], components: { main: [appDeb(`1.${v}-1`)], contrib: [] }, key: fx.key, distributionFields: { ValidFor: '7d' } });
          upstreamChanges++;
        } catch (err) {
          fail('upstream change', err);
        }
      }
    })(),
    // API writes: an upload every 2 s; every fifth, a snapshot of the repo and a switch.
    (async () => {
      for (let i = 0; Date.now() < deadline; i++) {
        try {
          const deb = await buildDeb(debDir, { name: `upload${i % 50}`, version: `1.${i}`, architecture: 'amd64' }, { compression: 'gzip' });
          await api('POST', '/api/repos/local/packages', await readFile(deb), 'application/vnd.debian.binary-package');
          uploads++;
          if (i % 5 === 0) {
            await api('POST', '/api/snapshots', JSON.stringify({ name: `local-${i}`, fromRepo: 'local' }));
            if (i === 0) await waitTask(await api('POST', '/api/publish', JSON.stringify({ source: { kind: 'snapshot', name: 'local-0' }, dist: 'uploads' })));
            else await waitTask(await api('POST', '/api/publish/uploads/switch', JSON.stringify({ snapshot: `local-${i}` })));
            switches++;
            if (i >= 25) await api('DELETE', `/api/snapshots/local-${i - 25}`).catch(() => undefined);
          }
        } catch (err) {
          fail('API write', err);
        }
        await sleep(2000);
      }
    })(),
    // 20 apt clients, each updating and downloading again and again.
    ...clients.map(async (apt) => {
      while (Date.now() < deadline) {
        try {
          await apt.aptGet('update');
          await apt.aptGet('clean');
          await apt.aptGet('install', '--download-only', '-y', 'app');
          aptRuns++;
        } catch (err) {
          fail('apt', err);
        }
      }
    }),
    (async () => {
      while (Date.now() < deadline) {
        await sleep(10_000);
        samples.push(await sample(up.pid ?? 0));
        const s = samples.at(-1);
        if (s) process.stderr.write(`soak: ${Math.round((deadline - Date.now()) / 1000)} s left, RSS ${s.rssMiB} MiB, ${s.fds} fds, ${aptRuns} apt runs, ${uploads} uploads, ${errors.length} errors\n`);
      }
    })(),
  ];
  await Promise.all(loops);

  // Let the last requests end before the last sample: descriptors of finished work must be gone.
  await sleep(3000);
  const end = await sample(up.pid ?? 0);
  const endMetrics = await (await fetch(`${url}/metrics`)).text();
  up.kill('SIGTERM');
  await once(up, 'exit');
  for (const apt of clients) await apt.close();
  await fx.close();

  const refreshes = (log.match(/refreshed:/g) ?? []).length;
  const refreshFailures = (log.match(/refresh failed/g) ?? []).length;
  if (refreshFailures > 0) errors.push(`${refreshFailures} scheduled refreshes failed`);
  const requests = metric(endMetrics, 'debstash_http_requests_total') - metric(startMetrics, 'debstash_http_requests_total');
  const server5xx = endMetrics.split('\n').filter((l) => /^debstash_http_requests_total\{.*status="5\d\d"/.test(l)).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1))).reduce((a, b) => a + b, 0);
  if (server5xx > 0) errors.push(`${server5xx} answers with status 5xx`);
  const lagP99 = metric(endMetrics, 'debstash_event_loop_delay_seconds', 'quantile="0.99"') * 1000;
  const midRss = samples.slice(1).map((s) => s.rssMiB);
  console.log(
    [
      `soak: ${minutes} min, ${CLIENTS} apt clients`,
      `  errors: ${errors.length}`,
      `  requests served: ${requests} (${(requests / (minutes * 60)).toFixed(1)}/s); apt update+download runs: ${aptRuns}; uploads: ${uploads}; publish switches: ${switches}; upstream changes: ${upstreamChanges}; scheduled refreshes that changed something: ${refreshes}`,
      `  RSS: start ${start.rssMiB} MiB, end ${end.rssMiB} MiB (min ${Math.min(...midRss)}, max ${Math.max(...midRss)} during)`,
      `  open fds: start ${start.fds}, end ${end.fds}`,
      `  event-loop delay p99: ${lagP99.toFixed(1)} ms`,
      ...errors.slice(0, 20).map((e) => `  ${e}`),
    ].join('\n'),
  );
  if (errors.length > 0) process.exitCode = 1;
}

await soak();
