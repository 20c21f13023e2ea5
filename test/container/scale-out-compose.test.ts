import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { projectRoot } from '../helpers/project-root.js';
import { findProgram } from './docker-engine.js';
import { mustRun } from './run-tool.js';

interface Service {
  readonly image?: string;
  readonly environment?: Record<string, string | null>;
  readonly depends_on?: Record<string, { readonly condition: string }>;
  readonly volumes?: readonly string[];
}

/**
 * examples/scale-out/compose.yaml as docker-compose reads it (`config`: the file resolved, no
 * engine needed): PostgreSQL, an S3 endpoint and its bucket, two replicas naming both the one
 * way the CLI does, each with a data dir of its own, and a client. Running it needs images of
 * PostgreSQL and an S3 server, which no registry here provides.
 */
test('examples/scale-out/compose.yaml: docker-compose accepts it; two replicas over one database and one bucket', { skip: findProgram('docker-compose') === undefined ? 'docker-compose is not installed (.ci/run installs docker-compose)' : false }, async () => {
  const dir = join(projectRoot, 'examples/scale-out');
  const env = { ...process.env };
  for (const name of ['POSTGRES_PASSWORD', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'DEBSTASH_IMAGE', 'COMPOSE_FILE', 'COMPOSE_PROJECT_NAME']) delete env[name];
  const out = await mustRun('docker-compose', ['-f', join(dir, 'compose.yaml'), 'config'], { cwd: dir, env, timeoutMs: 60_000 });
  const doc = parse(out.stdout) as { services: Record<string, Service> };
  assert.deepEqual(Object.keys(doc.services).sort(), ['bucket', 'client', 'postgres', 'replica1', 'replica2', 's3']);
  const [one, two] = [doc.services['replica1'], doc.services['replica2']];
  assert.ok(one !== undefined && two !== undefined);
  for (const r of [one, two]) {
    assert.match(r.environment?.['DEBSTASH_DATABASE_URL'] ?? '', /^postgres:\/\/debstash:[^@]+@postgres:5432\/debstash$/);
    assert.equal(r.environment?.['DEBSTASH_STORAGE_URL'], 's3://debstash/fleet?endpoint=http://s3:9000&path_style=1');
  }
  assert.notDeepEqual(one.volumes, two.volumes, 'each replica has a data dir of its own');
  assert.equal(one.depends_on?.['postgres']?.condition, 'service_healthy');
  assert.equal(one.depends_on?.['bucket']?.condition, 'service_completed_successfully');
  assert.equal(two.depends_on?.['replica1']?.condition, 'service_healthy');
  assert.equal(doc.services['client']?.environment?.['MIRROR_URL'], 'http://replica1:8080');
  assert.ok(doc.services['client']?.volumes?.some((v) => v.startsWith(`${join(projectRoot, 'deploy/client.sh')}:`)), 'the client script of deploy/');
});
