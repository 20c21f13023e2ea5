/**
 * A server for test/server/open-errors.test.ts, run as its own process under a low `ulimit -n`:
 * once listening it opens /dev/null until the kernel refuses (EMFILE), then frees one
 * descriptor, which accepting the test's connection takes, so opening the requested file
 * meets a real EMFILE. Prints `{"url"}` when ready; on a `release` line on stdin closes what
 * it holds and prints `{"released":true}`. Request and error log lines (pino JSON) go to stdout.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { openEmbeddedContext } from '../../src/model/context.js';
import { startServer } from '../../src/server/start-server.js';

// `npm test` runs every file under dist/test/, this one too, bare: then there is nothing to serve.
const dataDir = process.argv[2];
if (dataDir !== undefined) await serveStarved(dataDir);

async function serveStarved(dataDir: string): Promise<void> {
  const ctx = await openEmbeddedContext(dataDir);
  const server = await startServer(ctx, { host: '127.0.0.1', port: 0, logger: pino({ level: 'info' }) });
  const say = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
  // Set up before the descriptors run out.
  const commands = createInterface({ input: process.stdin });

  const held: FileHandle[] = [];
  for (let i = 0; i < 65_536; i++) {
    try {
      held.push(await open('/dev/null', 'r'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EMFILE') break;
      throw err;
    }
  }
  await held.pop()?.close();
  say({ url: server.url, held: held.length });

  for await (const line of commands) {
    if (line !== 'release') continue;
    for (const h of held.splice(0)) await h.close();
    say({ released: true });
  }
}
