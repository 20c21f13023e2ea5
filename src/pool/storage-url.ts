import { DebstashError } from '../errors/debstash-error.js';

/** Where an S3 pool lives, as named by a storage URL and the standard AWS variables. */
export interface S3Location {
  readonly bucket: string;
  /** Key prefix, empty or ending in `/`. */
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
}

const QUERY_KEYS = new Set(['endpoint', 'region', 'path_style']);

function bad(url: string, why: string): DebstashError {
  // The URL is shown only without its query and userinfo: a secret never reaches a message.
  return new DebstashError('DEBSTASH_E_STORAGE_BAD_URL', `storage URL ${redactStorageUrl(url)}: ${why}`, { reason: why });
}

/** The URL with userinfo dropped, for messages and `db check`. */
export function redactStorageUrl(url: string): string {
  return url.replace(/^([a-z0-9+.-]+:\/\/)[^/@]*@/i, '$1***@');
}

/**
 * Parses `s3://BUCKET/PREFIX?endpoint=&region=&path_style=1`. The query parameters win over
 * AWS_ENDPOINT_URL, AWS_REGION (then AWS_DEFAULT_REGION) and DEBSTASH_S3_PATH_STYLE=1, so one
 * URL can name a whole location. Credentials in the URL are refused, not ignored: a URL ends
 * up in logs, process listings and `db check` output.
 */
export function parseStorageUrl(url: string, env: NodeJS.ProcessEnv = process.env): S3Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad(url, 'not a URL; expected s3://BUCKET/PREFIX');
  }
  if (u.protocol !== 's3:') throw bad(url, `scheme ${u.protocol.replace(/:$/, '')} is not supported; expected s3://BUCKET/PREFIX`);
  if (u.username !== '' || u.password !== '') throw bad(url, 'credentials in the URL are refused; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS credential chain');
  const bucket = u.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw bad(url, `bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  if (u.port !== '') throw bad(url, 'a port belongs in ?endpoint=, not after the bucket');
  for (const key of u.searchParams.keys()) if (!QUERY_KEYS.has(key)) throw bad(url, `unknown parameter ${key} (known: endpoint, region, path_style)`);
  const segments = decodeURIComponent(u.pathname).split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) throw bad(url, 'the prefix may not contain . or .. segments');
  const prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;
  const endpoint = u.searchParams.get('endpoint') ?? env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL'];
  if (endpoint !== undefined && endpoint !== '') {
    let e: URL;
    try {
      e = new URL(endpoint);
    } catch {
      throw bad(url, 'the endpoint is not a URL');
    }
    if (e.protocol !== 'http:' && e.protocol !== 'https:') throw bad(url, 'the endpoint must be an http:// or https:// URL');
    if (e.username !== '' || e.password !== '') throw bad(url, 'credentials in the endpoint URL are refused');
  }
  const region = u.searchParams.get('region') ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  const pathStyle = u.searchParams.get('path_style') ?? env['DEBSTASH_S3_PATH_STYLE'];
  if (pathStyle !== undefined && pathStyle !== '' && pathStyle !== '0' && pathStyle !== '1') throw bad(url, 'path_style must be 0 or 1');
  return {
    bucket,
    prefix,
    ...(endpoint !== undefined && endpoint !== '' ? { endpoint } : {}),
    region,
    forcePathStyle: pathStyle === '1',
  };
}

/** How `db check` and `/readyz` name an S3 location. */
export function describeS3Location(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.prefix}${loc.endpoint !== undefined ? ` at ${new URL(loc.endpoint).origin}` : ''}${loc.forcePathStyle ? ' (path-style)' : ''}`;
}
