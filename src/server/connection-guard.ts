import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CODES } from '../errors/codes.js';
import type { ClientLimits } from './client-limits.js';
import type { Metrics } from './metrics.js';

const REFUSAL_BODY = `${JSON.stringify({
  error: {
    code: 'DEBSTASH_E_TOO_MANY_CONNECTIONS',
    message: 'this address holds too many open connections',
    hint: ERROR_CODES.DEBSTASH_E_TOO_MANY_CONNECTIONS.hint,
  },
})}\n`;
const REFUSAL = `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n\r\n${REFUSAL_BODY}`;

/**
 * Caps the connections one address may hold open: slow or idle clients from one place cannot
 * take every file descriptor while apt clients elsewhere still get theirs. The refusal is a
 * complete HTTP answer written before the request is read, so a client sees why.
 */
export function guardConnections(server: Server, perAddress: number, onRefused: () => void): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '?';
    const n = (open.get(address) ?? 0) + 1;
    if (n > perAddress) {
      onRefused();
      socket.end(REFUSAL);
      socket.on('error', () => undefined);
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/**
 * The createServer options of a server that holds client connections: Node looks for
 * connections past headersTimeout only every connectionsCheckingInterval (30 s by default),
 * so check often enough that the timeout means what it says.
 */
export function connectionServerOptions(limits: ClientLimits | undefined): ServerOptions {
  return limits === undefined ? {} : { connectionsCheckingInterval: Math.max(250, Math.min(5000, limits.headersTimeoutMs / 4)) };
}

/**
 * The connection limits on a server that holds client connections (`serve`, or each worker of
 * `serve --workers`, whose counts are then its own: per address and in all, per process).
 */
export function applyConnectionLimits(server: Server, limits: ClientLimits, metrics: Metrics): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  guardConnections(server, limits.maxConnectionsPerAddress, () => metrics.observeRefusedConnection());
}
