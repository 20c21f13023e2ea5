import { type DebstashConfig, configSchema } from './config-schema.js';
import { expandHostSources } from './expand-host-sources.js';

/** The seed filter of the embedded default (docs/architecture.md): a base system plus postgresql and python3. */
export const DEFAULT_FILTER = 'Priority (required) | Priority (important) | Priority (standard) | postgresql | python3';

/**
 * The configuration `debstash up` uses without a debstash.yaml, as a config value that goes
 * through the same plan and apply as a file: every suite of the host's own apt `deb` sources
 * (bookworm, bookworm-updates, bookworm-security, …; see expandHostSources) with the seed filter
 * and its dependencies, each mirror named SUITE-COMPONENT as before, each suite published
 * signed at the root under its own name, served on 127.0.0.1:8080. Without security updates
 * a client pointed only at us would silently fall behind, hence every suite and not the first.
 * `root` lets tests point at a fake `/`.
 */
export async function embeddedDefaultConfig(root = '/'): Promise<DebstashConfig> {
  return expandHostSources(
    configSchema.parse({
      mirrors: { host: { host_sources: true, filter: DEFAULT_FILTER } },
      publishes: [{ dist: '{suite}', from: [{ mirror: 'host' }], snapshot_name: '{mirror}-{date}' }],
    }),
    root,
  );
}
