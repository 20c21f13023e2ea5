import { DebstashError } from '../errors/debstash-error.js';
import { aptlyJson, runAptly } from './aptly-cli.js';
import { type AptlyPackage, parseAptlyPackages } from './aptly-packages.js';

export interface AptlyMirror {
  readonly name: string;
  readonly url: string;
  readonly dist: string;
  readonly components: readonly string[];
  readonly architectures: readonly string[];
  readonly filter: string;
  readonly withDeps: boolean;
  readonly withSources: boolean;
  readonly withUdebs: boolean;
  /** Package keys (`name_version_arch`) of its last update. */
  readonly packages: readonly string[];
}

export interface AptlyRepo {
  readonly name: string;
  readonly comment: string;
  readonly component: string;
  readonly packages: readonly string[];
}

/** Where a snapshot's packages came from, as far as aptly tells. */
export type AptlySnapshotSource = { readonly kind: 'mirror' | 'repo' | 'snapshot'; readonly name: string };

export interface AptlySnapshot {
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  /** Empty when aptly's record does not say (a filtered or pulled snapshot). */
  readonly sources: readonly AptlySnapshotSource[];
  readonly packages: readonly string[];
}

export interface AptlyPublish {
  /** '' for aptly's root prefix ".". */
  readonly prefix: string;
  readonly dist: string;
  /** The first source; the only one but for a publish of several components. */
  readonly source: { readonly kind: 'snapshot' | 'repo'; readonly name: string };
  readonly component: string;
  /** Every source with its component (`aptly publish snapshot -component=main,contrib A B`). */
  readonly components: readonly { readonly name: string; readonly component: string }[];
  readonly architectures: readonly string[];
  readonly origin: string;
  readonly label: string;
  /** Publishes debstash cannot recreate (another storage), with why. */
  readonly unsupported?: string;
}

/** Everything `debstash import aptly` reads, all through aptly's own commands. */
export interface AptlyInstallation {
  readonly config: string;
  readonly mirrors: readonly AptlyMirror[];
  readonly repos: readonly AptlyRepo[];
  readonly snapshots: readonly AptlySnapshot[];
  readonly publishes: readonly AptlyPublish[];
  /** Every package of aptly's database, by `name_version_arch`. */
  readonly packages: ReadonlyMap<string, AptlyPackage>;
}

type Json = Readonly<Record<string, unknown>>;

function bad(what: string): DebstashError {
  return new DebstashError('DEBSTASH_E_APTLY_READ', `aptly's JSON output is not what debstash understands: ${what}`, { what });
}

function object(v: unknown, what: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as Json;
}

function array(v: unknown, what: string): readonly unknown[] {
  // aptly prints null for an empty list of packages.
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw bad(`${what} is not a list`);
  return v;
}

function str(o: Json, key: string, what: string): string {
  const v = o[key] ?? '';
  if (typeof v !== 'string') throw bad(`${what}.${key} is not a string`);
  return v;
}

const strings = (v: unknown, what: string): string[] => array(v, what).map((x, i) => (typeof x === 'string' ? x : (() => { throw bad(`${what}[${i}] is not a string`); })()));

const names = (list: unknown, what: string): string[] => array(list, what).map((x, i) => str(object(x, `${what}[${i}]`), 'Name', what));

/** aptly writes the origin of a snapshot only into its description; these are its fixed texts. */
function snapshotSources(o: Json, what: string): AptlySnapshotSource[] {
  const description = str(o, 'Description', what);
  const mirror = /^Snapshot from mirror \[(.+?)\]/.exec(description);
  if (mirror) return [{ kind: 'mirror', name: mirror[1] as string }];
  const repo = /^Snapshot from local repo \[(.+?)\]/.exec(description);
  if (repo) return [{ kind: 'repo', name: repo[1] as string }];
  if (/^Merged from sources: /.test(description)) return names(o.Snapshots, `${what}.Snapshots`).map((name) => ({ kind: 'snapshot', name }));
  return [];
}

async function readMirror(config: string, name: string): Promise<AptlyMirror> {
  const what = `mirror ${name}`;
  const o = object(await aptlyJson(config, ['mirror', 'show', '-json', '-with-packages', name]), what);
  return {
    name,
    url: str(o, 'ArchiveRoot', what),
    dist: str(o, 'Distribution', what),
    components: strings(o.Components, `${what}.Components`),
    architectures: strings(o.Architectures, `${what}.Architectures`),
    filter: str(o, 'Filter', what),
    withDeps: o.FilterWithDeps === true,
    withSources: o.DownloadSources === true,
    withUdebs: o.DownloadUdebs === true,
    packages: strings(o.Packages, `${what}.Packages`),
  };
}

async function readRepo(config: string, name: string): Promise<AptlyRepo> {
  const what = `repo ${name}`;
  const o = object(await aptlyJson(config, ['repo', 'show', '-json', '-with-packages', name]), what);
  return { name, comment: str(o, 'Comment', what), component: str(o, 'DefaultComponent', what) || 'main', packages: strings(o.Packages, `${what}.Packages`) };
}

async function readSnapshot(config: string, name: string): Promise<AptlySnapshot> {
  const what = `snapshot ${name}`;
  const o = object(await aptlyJson(config, ['snapshot', 'show', '-json', '-with-packages', name]), what);
  return { name, description: str(o, 'Description', what), createdAt: str(o, 'CreatedAt', what), sources: snapshotSources(o, what), packages: strings(o.Packages, `${what}.Packages`) };
}

function readPublish(v: unknown, i: number): AptlyPublish {
  const what = `publish[${i}]`;
  const o = object(v, what);
  const prefix = str(o, 'Prefix', what);
  const dist = str(o, 'Distribution', what);
  const kind = str(o, 'SourceKind', what);
  // aptly lists a publish's sources in no fixed order (a Go map): sorted by component, the
  // import and the yaml it writes are the same on every run.
  const component = (src: Record<string, unknown>): string => (typeof src.Component === 'string' ? src.Component : '');
  const sources = array(o.Sources, `${what}.Sources`)
    .map((s, j) => object(s, `${what}.Sources[${j}]`))
    .sort((a, b) => (component(a) < component(b) ? -1 : component(a) > component(b) ? 1 : 0));
  const first = sources[0];
  if (first === undefined) throw bad(`${what} has no Sources`);
  const storage = str(o, 'Storage', what);
  const unsupported = storage !== '' ? `it is published to the storage "${storage}", not to a tree debstash serves` : undefined;
  return {
    prefix: prefix === '.' ? '' : prefix,
    dist,
    source: { kind: kind === 'local' ? 'repo' : 'snapshot', name: str(first, 'Name', what) },
    component: str(first, 'Component', what) || 'main',
    components: sources.map((src) => ({ name: str(src, 'Name', what), component: str(src, 'Component', what) || 'main' })),
    architectures: strings(o.Architectures, `${what}.Architectures`).filter((a) => a !== 'source'),
    origin: str(o, 'Origin', what),
    label: str(o, 'Label', what),
    ...(unsupported !== undefined ? { unsupported } : {}),
  };
}

/** Reads a whole aptly installation through `aptly -config=CONFIG ...` (aptly 1.5's -json output). */
export async function readAptlyInstallation(config: string): Promise<AptlyInstallation> {
  const list = async (kind: string): Promise<string[]> => names(await aptlyJson(config, [kind, 'list', '-json']), `${kind} list`);
  // One aptly at a time: each opens aptly's database exclusively (a second waits and retries).
  // The first command also tells whether aptly is installed and takes the config.
  const mirrors: AptlyMirror[] = [];
  for (const n of await list('mirror')) mirrors.push(await readMirror(config, n));
  const repos: AptlyRepo[] = [];
  for (const n of await list('repo')) repos.push(await readRepo(config, n));
  const snapshots: AptlySnapshot[] = [];
  for (const n of await list('snapshot')) snapshots.push(await readSnapshot(config, n));
  const publishes = array(await aptlyJson(config, ['publish', 'list', '-json']), 'publish list').map(readPublish);
  // "Name" matches every package of the database: one command for all the stanzas.
  const packages = parseAptlyPackages(await runAptly(config, ['package', 'show', '-with-files', 'Name']));
  return { config, mirrors, repos, snapshots, publishes, packages };
}
