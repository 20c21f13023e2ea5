import { firstHostUpstream } from '../upstream/host-apt-sources.js';
import { type DebstashConfig, configSchema } from './config-schema.js';

/** The seed filter of the embedded default (docs/architecture.md): a base system plus postgresql and python3. */
export const DEFAULT_FILTER = 'Priority (required) | Priority (important) | Priority (standard) | postgresql | python3';

/**
 * The configuration `debstash up` uses without a debstash.yaml, as a config value that goes
 * through the same plan and apply as a file: one mirror of the host's own first apt source
 * (url, dist, component and keyring left out, so they come from the host) with the seed
 * filter and its dependencies, published signed at the root as the upstream's distribution,
 * served on 127.0.0.1:8080. The mirror is named SUITE-COMPONENT, as before there was a file.
 */
export async function embeddedDefaultConfig(): Promise<DebstashConfig> {
  const up = await firstHostUpstream();
  const mirror = `${up.suite}-${up.components[0] ?? 'main'}`.replace(/[^A-Za-z0-9._+-]/g, '-');
  return configSchema.parse({
    mirrors: { [mirror]: { filter: DEFAULT_FILTER } },
    publishes: [{ dist: up.suite, from: [{ mirror }], snapshot_name: '{mirror}-{date}' }],
  });
}
