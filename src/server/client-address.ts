import type { IncomingMessage } from 'node:http';

/**
 * The header in which a worker of `serve --workers` hands the primary the address of the
 * client whose request it forwards: on the primary's unix socket every request would
 * otherwise come from nowhere, and rate limits and the request log need the client.
 */
export const CLIENT_ADDRESS_HEADER = 'x-debstash-client-address';

/**
 * Drops the header from a request that did not come over the primary's unix socket: a client
 * on TCP could otherwise name any address and escape its rate limit. Every server calls this
 * first, `trusted` only for the primary's socket, which only its workers can reach (0700).
 */
export function acceptClientAddress(req: IncomingMessage, trusted: boolean): void {
  if (!trusted) delete req.headers[CLIENT_ADDRESS_HEADER];
}

/** The address of the client behind a request: the forwarding worker's word, or the socket's peer. */
export function clientAddress(req: IncomingMessage): string | undefined {
  const forwarded = req.headers[CLIENT_ADDRESS_HEADER];
  return typeof forwarded === 'string' && forwarded !== '' ? forwarded : req.socket.remoteAddress;
}
