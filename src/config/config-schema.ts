import { z } from 'zod';
import { KEY_ALGORITHMS } from '../keys/generate-key.js';
import { parseListen } from './listen-address.js';
import { intervalMs } from './parse-interval.js';
import { normalizePublicUrl } from '../publish/snapshots-template.js';

/**
 * debstash.yaml as zod sees it (after `${ENV}` interpolation). Objects are strict: a key that
 * is not here is a mistake (a typo usually), never silently ignored. Defaults live here so the
 * JSON Schema for editors shows them; what depends on the host (upstream, architecture) is
 * filled in later, when the config is applied.
 */

const list = z.array(z.string());

const keys = z
  .strictObject({
    generate: z.enum(KEY_ALGORITHMS as readonly ['ed25519', 'rsa4096']).optional().describe('algorithm of the key generated on first run (default ed25519)'),
    import: z.string().min(1).optional().describe('a secret key file (armored or binary) imported once instead of generating one'),
    passphrase_file: z.string().min(1).optional().describe('file holding the passphrase of the signing key'),
    passphrase_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional().describe('environment variable holding the passphrase'),
    name: z.string().min(1).optional().describe('user ID name of a generated key'),
    email: z.string().min(1).optional().describe('user ID email of a generated key'),
  })
  .superRefine((k, ctx) => {
    if (k.generate !== undefined && k.import !== undefined) ctx.addIssue({ code: 'custom', path: ['import'], message: 'give either generate or import, not both' });
    if (k.passphrase_file !== undefined && k.passphrase_env !== undefined) ctx.addIssue({ code: 'custom', path: ['passphrase_env'], message: 'give either passphrase_file or passphrase_env, not both' });
  });

const mirror = z.strictObject({
  url: z.string().optional().describe('upstream archive root; omitted or empty: the host\'s first apt "deb" source'),
  dist: z.string().optional().describe('upstream distribution (suite or codename); default: the host source\'s'),
  components: list.optional().describe('default: the first component of the host source'),
  architectures: list.optional().describe('default: the host architecture'),
  keyring: list.optional().describe('keyring files the upstream Release must be signed by; default: the host source\'s Signed-By'),
  filter: z.string().optional().describe('aptly query selecting packages; omitted: every package'),
  with_deps: z.boolean().default(true),
  with_recommends: z.boolean().default(false),
  with_sources: z.boolean().default(false),
  with_udebs: z.boolean().default(false),
  deps_from: list.default([]).describe('other mirrors whose packages may satisfy dependencies'),
  update_deps_from: z.boolean().default(false).describe('also take this upstream\'s newer versions of the packages the deps_from mirrors hold (an update or security suite\'s fixes of the base\'s dependencies)'),
  policy: z.enum(['immediate', 'on_demand', 'cache_on_serve']).default('immediate').describe('when package files are fetched: immediate (by the update), on_demand (at a client\'s first request; db cleanup may evict them) or cache_on_serve (at the first request; kept); see docs/on-demand.md'),
  strict_filter: z.boolean().optional().describe('a filter term that matches no package fails the update instead of warning; default: the top-level strict_filter'),
  host_sources: z.boolean().default(false).describe('true: one mirror per suite of the host\'s apt "deb" sources (e.g. bookworm, bookworm-updates, bookworm-security), named SUITE-COMPONENT, each update suite taking dependencies from the first; a publish with dist "{suite}" naming this mirror is made once per suite'),
});

const repo = z.strictObject({ comment: z.string().default('') });

const source = z.union([z.strictObject({ mirror: z.string() }), z.strictObject({ repo: z.string() })], { error: 'expected { mirror: NAME } or { repo: NAME }' });

const publish = z.strictObject({
  dist: z.string().min(1).describe('distribution clients put in Suites; "{suite}" with a host_sources mirror: one publish per host suite'),
  prefix: z.string().default('').describe('path under the server root; "" is the root'),
  from: z.array(source).min(1).describe('mirrors and repos merged into each snapshot'),
  component: z.string().min(1).default('main'),
  snapshot_name: z.string().min(1).default('{publish}-{date}').describe('placeholders {publish} {mirror} {repo} {date} {n}'),
  keep: z.number().int().min(1).default(5).describe('snapshots of this publish kept; older unpublished ones are dropped'),
  keep_generations: z.number().int().min(1).max(100).default(3).describe('published generations kept served by hash with their pool files: how far back apt update --snapshot reaches (apt time travel)'),
  origin: z.string().default('debstash'),
  label: z.string().optional().describe('default: the dist (with the prefix)'),
});

const token = z.strictObject({
  name: z.string().min(1),
  scope: z.enum(['read', 'write', 'admin']),
  secret: z.string().min(16, 'a token secret needs at least 16 characters'),
});

const server = z.strictObject({
  listen: z
    .string()
    .default('127.0.0.1:8080')
    .refine((v) => {
      try {
        parseListen(v);
        return true;
      } catch {
        return false;
      }
    }, 'expected HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080')
    .describe('HOST:PORT to serve on'),
  public: z.boolean().default(true).describe('false: reading the APT tree needs a read token or basic auth'),
  public_url: z
    .string()
    .optional()
    .refine((v) => {
      if (v === undefined || v === '') return true;
      try {
        normalizePublicUrl(v, 'server.public_url');
        return true;
      } catch {
        return false;
      }
    }, 'expected the absolute http(s) URL clients reach the server at, e.g. http://mirror.internal:8080 (no query, fragment or credentials)')
    .describe('where clients reach the server: the client stanzas name it, and every Release carries Snapshots: PUBLIC_URL/snapshots/@SNAPSHOTID@/PREFIX (apt time travel); unset or empty: no Snapshots field'),
  tokens: z.array(token).default([]),
  storage_redirect: z.boolean().default(false).describe('with S3 storage: answer pool and by-hash paths with a redirect to a presigned URL of the bucket instead of streaming them'),
});

const schedule = z.strictObject({
  // `refresh: 0` is a number in YAML; every other value is a string.
  refresh: z
    .union([z.string(), z.literal(0)])
    .default('6h')
    .refine((v) => intervalMs(String(v)) !== undefined, 'expected a number with s, m or h (e.g. 6h), or 0 / "off"')
    .describe('how often `up` applies again; 0 or "off": never'),
});

export const configSchema = z
  .strictObject({
    keys: keys.default({}),
    strict_filter: z.boolean().default(false).describe('for every mirror: a filter term that matches no package fails the update instead of warning'),
    mirrors: z.record(z.string(), mirror).default({}),
    repos: z.record(z.string(), repo).default({}),
    publishes: z.array(publish).default([]),
    server: server.default({ listen: '127.0.0.1:8080', public: true, tokens: [], storage_redirect: false }),
    schedule: schedule.default({ refresh: '6h' }),
    storage: z.string().optional().describe('where package files are kept: s3://BUCKET/PREFIX[?endpoint=URL&region=R&path_style=1] (docs/s3.md); unset: DATA_DIR/pool. DEBSTASH_STORAGE_URL wins over it'),
    database: z.string().min(1).optional().describe('postgres://USER:PASSWORD@HOST:PORT/DB for the metadata (DEBSTASH_DATABASE_URL wins); omitted: SQLite in the data dir'),
  })
  .describe('debstash.yaml: the whole setup of a debstash mirror (docs/config.md)');

export type DebstashConfig = z.output<typeof configSchema>;
export type MirrorSettings = DebstashConfig['mirrors'][string];
export type PublishSettings = DebstashConfig['publishes'][number];
export type PublishSource = PublishSettings['from'][number];
