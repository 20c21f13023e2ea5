import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../helpers/project-root.js';

const run = promisify(execFile);
const bin = join(projectRoot, 'bin/debstash.js');

/**
 * What a user can type, command by command: each must end in a coded error (exit 1 or 2),
 * never in "internal error" with a stack trace. DATA, FILE, DIR, TAKEN and BADYAML stand for
 * an empty data dir, a regular file, a directory, a port in use and a malformed config.
 */
const CASES: readonly (readonly string[])[] = [
  ['mirror', 'show', 'nope'],
  ['mirror', 'update', 'nope'],
  ['mirror', 'update', 'nope', '--concurrency', 'many'],
  ['mirror', 'edit', 'nope', '--filter', 'hello'],
  ['mirror', 'drop', 'nope'],
  ['mirror', 'create', '../evil', 'http://127.0.0.1:1/debian', 'bookworm'],
  ['mirror', 'create', 'm', 'not a url', 'bookworm'],
  ['mirror', 'create', 'm', 'http://127.0.0.1:1/debian', 'bookworm', '--filter', 'Priority ('],
  ['mirror', 'create', 'm', 'http://127.0.0.1:1/debian', 'bookworm', '--arch', 'amd64!'],
  ['mirror', 'create', 'm', 'http://127.0.0.1:1/debian', 'bookworm', '--keyring', '/nonexistent/k.gpg'],
  ['mirror', 'create', 'm', 'http://127.0.0.1:1/debian', 'bookworm', '--keyring', 'FILE'],
  ['mirror', 'edit', 'nope', '--keyring', '/nonexistent/k.gpg'],
  ['mirror'],
  ['db'],
  ['mirror', 'list', '--bogus'],
  ['mirror', 'frobnicate'],
  ['repo', 'show', 'nope'],
  ['repo', 'add', 'nope', '/nonexistent/x.deb'],
  ['repo', 'add', 'r', '/nonexistent/x.deb'],
  ['repo', 'add', 'r', 'FILE'],
  ['repo', 'remove', 'nope', 'hello'],
  ['repo', 'remove', 'r', 'Name (~ ['],
  ['repo', 'drop', 'nope'],
  ['repo', 'create', 'a/b'],
  ['snapshot', 'show', 'nope'],
  ['snapshot', 'create', 's', '--from-mirror', 'nope'],
  ['snapshot', 'create', 's'],
  ['snapshot', 'merge', 'd', 'nope'],
  ['snapshot', 'filter', 'nope', 'd', 'hello'],
  ['snapshot', 'pull', 'd', 'nope', 'hello'],
  ['snapshot', 'diff', 'a', 'b'],
  ['snapshot', 'verify', 'nope'],
  ['snapshot', 'drop', 'nope'],
  ['publish', 'snapshot', 'nope', '--dist', 'bookworm'],
  ['publish', 'repo', 'nope', '--dist', 'bookworm'],
  ['publish', 'repo', 'r', '--dist', '../etc'],
  ['publish', 'repo', 'r', '--dist', 'bookworm', '--prefix', '/../../etc'],
  ['publish', 'repo', 'r', '--dist', 'bookworm', '--public-url', 'mirror.internal:8080'],
  ['publish', 'repo', 'r', '--dist', 'bookworm', '--keep-generations', 'many'],
  ['publish', 'switch', 'bookworm', 'nope'],
  ['publish', 'drop', 'nope'],
  ['package', 'search', 'Name ('],
  ['package', 'show', '(((('],
  ['package', 'search', 'Name (% [)'],
  ['package', 'show', 'hello {amd64'],
  ['key', 'export', 'DEADBEEF'],
  ['key', 'import', '/nonexistent/key.asc'],
  ['key', 'import', 'FILE'],
  ['key', 'default', 'DEADBEEF'],
  ['client-config', 'nope'],
  ['client-config', 'nope', '--url', 'not a url'],
  ['token', 'create', '--scope', 'god'],
  ['token', 'revoke', 'nope'],
  ['serve', '--listen', 'TAKEN'],
  ['serve', '--listen', '999.1.1.1:18090'],
  ['serve', '--listen', '192.0.2.1:18090'],
  ['serve', '--listen', 'nocolon'],
  ['serve', '--listen', '127.0.0.1:99999'],
  ['serve', '--grace', 'soon'],
  ['serve', '--listen', '127.0.0.1:0', '--redirect-to-storage'],
  ['up', '--listen', '999.1.1.1:18090'],
  ['up', '--listen', 'TAKEN'],
  ['up', '--refresh', 'sometimes'],
  ['--config', '/nonexistent/debstash.yaml', 'apply'],
  ['--config', 'DIR', 'apply', '--plan'],
  ['--config', 'BADYAML', 'apply'],
  ['--config', 'BADYAML', 'up'],
  ['db', 'cleanup', '--min-age', 'a while'],
  ['--data-dir', 'FILE', 'mirror', 'list'],
  ['--data-dir', 'FILE', 'db', 'check'],
  ['--data-dir', 'FILE', 'serve', '--listen', '127.0.0.1:0'],
  ['--data-dir', 'FILE/sub', 'repo', 'list'],
  ['--data-dir', '/proc/version/x', 'snapshot', 'list'],
];

let dir: string;
let blocker: Server;
const slots: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-user-errors-'));
  slots.DATA = join(dir, 'data');
  slots.FILE = join(dir, 'a-file');
  slots.DIR = join(dir, 'a-dir');
  slots.BADYAML = join(dir, 'bad.yaml');
  await writeFile(slots.FILE, 'not a data dir\n');
  await mkdir(slots.DIR);
  await writeFile(slots.BADYAML, 'mirrors: [unclosed\n');
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  slots.TAKEN = `127.0.0.1:${(blocker.address() as { port: number }).port}`;
  assert.equal((await cli(['repo', 'create', 'r'])).code, 0);
});
after(async () => {
  await new Promise((resolve) => blocker.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = args.map((a) => a.replace(/^(DATA|FILE|DIR|TAKEN|BADYAML)/, (m) => slots[m] ?? m));
  const env = { ...process.env, DEBSTASH_DATA_DIR: slots.DATA ?? '', DEBSTASH_CONFIG: '', DEBSTASH_KEY_PASSPHRASE: '' };
  try {
    const r = await run(process.execPath, [bin, ...argv], { cwd: dir, env, timeout: 30_000 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

for (const args of CASES) {
  test(`debstash ${args.join(' ')}: a coded error, no stack`, async () => {
    const r = await cli(args);
    const said = `exit ${r.code}\n${r.stderr}${r.stdout}`;
    assert.ok(r.code === 1 || r.code === 2, said);
    assert.match(r.stderr, /^debstash: DEBSTASH_E_[A-Z_]+: /m, said);
    assert.doesNotMatch(said, /internal error|\n\s+at .+:\d+:\d+\)?\n/, said);
  });
}
