import { DebstashError } from '../errors/debstash-error.js';

/** `HOST:PORT` (IPv6 in brackets) → its parts. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new DebstashError('DEBSTASH_E_USAGE', `--listen ${JSON.stringify(listen)}: expected HOST:PORT, e.g. 127.0.0.1:8080`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}
