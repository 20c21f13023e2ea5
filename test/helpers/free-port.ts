import { createServer } from 'node:net';

/** A port nothing listens on at the moment: taken from the OS on 127.0.0.1, then released. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
