import { DebstashError } from '../errors/debstash-error.js';
import { keyringOf, parseKeyring } from '../upstream/keyring.js';
import { verifyDetachedRelease, verifyInRelease } from '../upstream/verify-release.js';
import { publishError } from './publish-error.js';
import type { Signer } from './signer.js';

export interface SignedRelease {
  /** The Release clearsigned. */
  readonly inRelease: string;
  /** The armored detached signature of the Release. */
  readonly releaseGpg: string;
}

/**
 * Signs a Release both ways and checks both signatures with the signer's own public key and
 * apt's rules (digest, key algorithm, expiry) before anything is published: a signer that
 * produces what apt would refuse must fail the publish, not break every client.
 */
export async function signRelease(signer: Signer, release: string, now: Date): Promise<SignedRelease> {
  const [inRelease, releaseGpg] = await Promise.all([signer.clearsign(release), signer.detachSign(release)]);
  try {
    const keyring = keyringOf(await parseKeyring(Buffer.from(signer.publicKeyArmored, 'utf8'), 'the signing key'), 'the signing key');
    const clear = await verifyInRelease(inRelease, keyring, { source: 'the new InRelease', now });
    if (`${clear.text}\n` !== release) throw new Error('the clearsigned text is not the Release');
    await verifyDetachedRelease(Buffer.from(release, 'utf8'), releaseGpg, keyring, { source: 'the new Release', now });
  } catch (err) {
    const why = err instanceof DebstashError ? err.message : err instanceof Error ? err.message : String(err);
    throw publishError('signature', `the signature made with key ${signer.fingerprint} does not verify with that key's public part (${why}); nothing was published`, {
      fingerprint: signer.fingerprint,
    }, err);
  }
  return { inRelease, releaseGpg };
}
