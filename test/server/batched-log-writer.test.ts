import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BatchedLogWriter } from '../../src/server/batched-log-writer.js';

test('lines come out whole and in order, across turns; flush waits for all of them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-log-writer-'));
  const file = await open(join(dir, 'log'), 'w');
  try {
    const w = new BatchedLogWriter(file.fd);
    await w.flush();
    const expected: string[] = [];
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 50; i++) {
        const line = `{"turn":${turn},"i":${i},"text":"é ${'x'.repeat(i)}"}\n`;
        expected.push(line);
        w.write(line);
      }
      if (turn % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await w.flush();
    assert.equal(await readFile(join(dir, 'log'), 'utf8'), expected.join(''));
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('with a write limit (processes sharing stderr), the lines still come out whole and in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-log-writer-'));
  const file = await open(join(dir, 'log'), 'w');
  try {
    // Pieces of whole lines up to 100 bytes; a longer line goes alone.
    const w = new BatchedLogWriter(file.fd, 100);
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const line = `{"i":${i},"text":"${'y'.repeat((i * 37) % 180)}"}\n`;
      expected.push(line);
      w.write(line);
    }
    await w.flush();
    assert.equal(await readFile(join(dir, 'log'), 'utf8'), expected.join(''));
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
});
