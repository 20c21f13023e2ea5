/** Query parameters debstash reads; their values help whoever reads the log and hold no secret. */
const KNOWN = new Set(['q', 'prefix', 'component', 'filename']);

/**
 * The request target as the access log writes it: the path as sent, and the query with the
 * value of every parameter debstash does not read replaced by "REDACTED". Clients put tokens
 * in URLs (`?token=…`, `?access_token=…`, presigned signatures) although debstash refuses
 * them there, and a log line is read by more people than the token was meant for.
 */
export function loggablePath(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  const q = target.indexOf('?');
  if (q < 0) return target;
  const query = target
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name: string;
      try {
        name = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '));
      } catch {
        name = '';
      }
      return KNOWN.has(name) ? pair : `${pair.slice(0, eq)}=REDACTED`;
    })
    .join('&');
  return `${target.slice(0, q)}?${query}`;
}
