import { publishError } from './publish-error.js';

/**
 * Names that become directories of the published tree. Only `[A-Za-z0-9._+-]` in each
 * segment, no segment starting with "." (no "..", and dot-names are the publisher's own:
 * `dists/DIST/.debstash/`), none of the names the tree itself uses at a prefix's top.
 */
const SEGMENT = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,99}$/;
const RESERVED_PREFIX_SEGMENTS = new Set(['dists', 'pool']);
/** The server answers these paths itself (web UI, REST API, client stanzas, apt time travel): a tree there would be unreachable. */
const RESERVED_FIRST_SEGMENTS = new Set(['ui', 'api', 'client', 'snapshots']);
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]{0,63}$/;

function bad(what: string, value: string, why: string): never {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  throw publishError('name', `${what} ${JSON.stringify(shown)} ${why}`, { what, value: shown });
}

function checkSegments(what: string, value: string, reserved?: ReadonlySet<string>): void {
  if (value.startsWith('/')) bad(what, value, 'is absolute; give it relative to the published root');
  for (const segment of value.split('/')) {
    if (segment === '..' || segment === '.') bad(what, value, `has a "${segment}" segment`);
    if (segment === '') bad(what, value, 'has an empty segment (a doubled or trailing "/")');
    if (segment.startsWith('.')) bad(what, value, 'has a segment starting with "."');
    if (!SEGMENT.test(segment)) bad(what, value, 'may only use letters, digits and . _ + - (at most 100 per segment)');
    if (reserved?.has(segment)) bad(what, value, `uses "${segment}", which the published tree itself uses`);
  }
}

/** The publish prefix: '' for the root, or e.g. 'debian' or 'ubuntu/edge'. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  if (prefix.length > 500) bad('prefix', prefix, 'is too long');
  checkSegments('prefix', prefix, RESERVED_PREFIX_SEGMENTS);
  const first = prefix.split('/', 1)[0] ?? '';
  if (RESERVED_FIRST_SEGMENTS.has(first)) bad('prefix', prefix, `starts with "${first}", a path the server answers itself (/${first}/)`);
  return prefix;
}

/** A distribution name (`bookworm`, `stable-updates`): one segment. */
export function checkDist(dist: string): string {
  if (dist === '') bad('distribution', dist, 'is empty');
  if (dist.includes('/')) bad('distribution', dist, 'contains "/"');
  checkSegments('distribution', dist);
  return dist;
}

/** A component (`main`; the legacy `updates/main` form is allowed). */
export function checkComponent(component: string): string {
  if (component === '') bad('component', component, 'is empty');
  checkSegments('component', component, new Set(['by-hash', 'source', 'i18n', 'debian-installer']));
  return component;
}

/** A Debian architecture name (`amd64`, `armhf`, `all`); `source` is not one. */
export function checkArchitecture(arch: string): string {
  if (!ARCHITECTURE.test(arch) || arch === 'source') bad('architecture', arch, 'is not a Debian architecture name');
  return arch;
}

/** A value of a Release field (Origin, Suite...): one line of printable text. */
export function checkReleaseValue(field: string, value: string): string {
  if (value !== value.trim() || value === '') bad(field, value, 'is empty or has blanks around it');
  if (/[\x00-\x1f\x7f]/.test(value)) bad(field, value, 'has a line break or control character');
  if (value.length > 1000) bad(field, value, 'is too long');
  return value;
}
