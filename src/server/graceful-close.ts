import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How often idle keep-alive connections are looked for while a close waits on busy ones. */
const IDLE_SWEEP_MS = 100;

/**
 * Returns a close for `server`: stop accepting, close idle keep-alive connections (and those
 * that become idle as their response ends), let responses in flight finish, and after
 * `graceMs` cut whatever is still open. Resolves once every connection is gone. Called again
 * while closing, it waits for the same close, cutting now when its grace is 0.
 */
export function gracefulClose(server: Server): (graceMs: number) => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const cutAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  let closing: Promise<void> | undefined;
  return (graceMs) => {
    if (graceMs <= 0) setImmediate(cutAll);
    return (closing ??= new Promise<void>((resolve) => {
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      const cut = setTimeout(cutAll, graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    }));
  };
}
