import assert from 'node:assert/strict';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ConfigFixture, configFixture } from '../config/config-fixture.js';
import { postgresMissing, type PostgresServer, startPostgres } from '../helpers/postgres-server.js';
import { SERVING, startUp } from '../helpers/up-process.js';

/** One GET on a connection of its own (so the cluster hands it to the next worker). */
function fetchOnce(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe('up --workers 2 on the PostgreSQL store of its config', { skip: postgresMissing() }, () => {
  let pg: PostgresServer;
  let f: ConfigFixture;
  before(async () => {
    pg = await startPostgres();
    f = await configFixture();
  });
  after(async () => {
    await f?.close();
    await pg?.stop();
  });

  test('the workers open the database of `database:` (not SQLite): they serve its pool view', async () => {
    const database = await pg.createDatabase('up_workers');
    const config = await f.writeConfig(`${f.configText()}database: ${database}\n`);
    // Only the config names the database: a worker that opened SQLite would have no pool view.
    const up = startUp(['--config', config, '--data-dir', join(f.dir, 'data-up-workers'), 'up', '--workers', '2'], { DEBSTASH_DATABASE_URL: '' }, f.dir);
    try {
      const base = (await up.until(SERVING))[1] ?? '';
      await up.until(/debstash: ready/);
      const ready = await fetchOnce(`${base}/readyz`);
      assert.equal(ready.status, 200, ready.body);
      assert.match(String(ready.headers['x-debstash-store']), /^postgres/);
      const packages = await fetchOnce(`${base}/dists/testing/main/binary-amd64/Packages`);
      assert.equal(packages.status, 200);
      const filename = /^Filename: (.+)$/m.exec(packages.body)?.[1];
      assert.ok(filename !== undefined, packages.body);
      const workers = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const deb = await fetchOnce(`${base}/${filename}`);
        assert.equal(deb.status, 200, deb.body.slice(0, 200));
        workers.add(String(deb.headers['x-debstash-worker']));
      }
      assert.deepEqual([...workers].sort(), ['1', '2']);
    } finally {
      assert.equal(await up.stop(), 0, up.stderr().slice(-2000));
    }
  });
});
