/**
 * What the tests of Release and index downloads stand on: a GnuPG home to make keys and sign
 * with, a directory served over HTTP by a FaultServer (write `dists/` into it with
 * writeSignedDist) and an UpstreamClient to fetch from it.
 *
 *   let up: SignedUpstream;
 *   before(async () => { up = await SignedUpstream.start('debstash-x-', { retryBaseDelayMs: 5 }); });
 *   afterEach(() => up.reset());
 *   after(() => up.close());
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpstreamClient, type UpstreamClientOptions } from '../../src/upstream/http-client.js';
import { FaultServer } from './fault-server.js';
import { GpgHome } from './gpg-home.js';

export class SignedUpstream {
  private constructor(
    readonly gpg: GpgHome,
    /** The directory the server serves. */
    readonly root: string,
    readonly server: FaultServer,
    readonly client: UpstreamClient,
  ) {}

  /** `prefix` names the temporary directory; `clientOptions` are the client's. */
  static async start(prefix: string, clientOptions: UpstreamClientOptions): Promise<SignedUpstream> {
    const gpg = await GpgHome.create();
    const root = await mkdtemp(join(tmpdir(), prefix));
    const server = await FaultServer.start(root);
    return new SignedUpstream(gpg, root, server, new UpstreamClient(clientOptions));
  }

  /** Between tests: the server forgets its faults and the requests it saw. */
  reset(): void {
    this.server.clearFaults();
    this.server.resetStats();
  }

  /** Closes the client, the server and gpg, and removes the directory. */
  async close(): Promise<void> {
    await this.client.close();
    await this.server.close();
    await this.gpg.close();
    await rm(this.root, { recursive: true, force: true });
  }
}
