import { firstHostUpstream, type HostUpstream } from '../../src/upstream/host-apt-sources.js';

/**
 * The archive of this machine's apt configuration when it answers within a few seconds, or
 * why a test that needs it must skip: online tests never fail for want of a network.
 */
export async function reachableHostArchive(): Promise<HostUpstream | string> {
  let up: HostUpstream;
  try {
    up = await firstHostUpstream();
  } catch (err) {
    return `no apt source on this machine (${(err as Error).message})`;
  }
  try {
    const res = await fetch(`${up.uri}/dists/${up.suite}/InRelease`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return res.ok ? up : `the archive in the apt configuration answers HTTP ${res.status}`;
  } catch (err) {
    return `the archive in the apt configuration does not answer (${(err as Error).message})`;
  }
}
