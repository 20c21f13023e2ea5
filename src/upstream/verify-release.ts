import { config as defaultConfig, createMessage, readSignature, verify, type KeyID, type PartialConfig, type PublicKey, type Signature } from 'openpgp';
import { splitClearsigned, splitDetachedSignatures } from '../deb/clearsigned.js';
import { DebstashError } from '../errors/debstash-error.js';
import type { Keyring } from './keyring.js';
import { digestRefusal, keyRefusal } from './signature-policy.js';

/** A Release whose signature verified. */
export interface VerifiedRelease {
  /** The signed text, decoded as UTF-8: what to parse as the Release. */
  readonly text: string;
  /** The signed bytes the signature covers. */
  readonly signed: Uint8Array;
  /** Primary key fingerprint of the key that made the (first) good signature, uppercase hex. */
  readonly fingerprint: string;
  /** Fingerprint of the (sub)key that signed, uppercase hex; the primary's when no subkey signed. */
  readonly signingKeyFingerprint: string;
  /** Creation time of that signature. */
  readonly signedAt: Date;
}

export interface VerifyReleaseOptions {
  /** URL or file name, for messages. */
  source?: string;
  /** When key expiry, revocation and signature expiry are judged. Default: the current time. */
  now?: Date;
}

/**
 * Only the cryptography is checked with this; policy (digests, key algorithms, expiry) is applied
 * afterwards, so that a refusal can be told apart from a forgery, as gpgv tells BADSIG apart
 * from EXPKEYSIG and apt treats them differently when a file carries several signatures.
 */
const CRYPTO_ONLY: PartialConfig = {
  rejectHashAlgorithms: new Set(),
  rejectMessageHashAlgorithms: new Set(),
  rejectPublicKeyAlgorithms: new Set(),
  rejectCurves: new Set(),
  minRSABits: 0,
};

/** Key algorithms are judged by keyRefusal; binding signatures keep openpgp's digest checks. */
const KEY_ALGORITHMS_DECIDED_BY_POLICY: PartialConfig = {
  rejectPublicKeyAlgorithms: new Set(),
  rejectCurves: new Set(),
  minRSABits: 0,
};

type Verdict =
  | { kind: 'good'; key: PublicKey; signingKeyFingerprint: string; created: Date }
  | { kind: 'bad'; keyID: string; reason: string }
  | { kind: 'worthless'; keyID: string; reason: string }
  | { kind: 'nopubkey'; keyID: string };

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function findKey(keyring: Keyring, keyID: KeyID): PublicKey | undefined {
  return keyring.keys.find((k) => k.getKeys(keyID).length > 0);
}

async function judge(keyring: Keyring, keyID: KeyID, verified: Promise<true>, signature: Promise<Signature>, now: Date): Promise<Verdict> {
  const id = keyID.toHex().toUpperCase();
  const key = findKey(keyring, keyID);
  if (key === undefined) {
    // openpgp rejects this result as well; it must not surface as an unhandled rejection.
    verified.catch(() => undefined);
    return { kind: 'nopubkey', keyID: id };
  }
  try {
    await verified;
  } catch (err) {
    return { kind: 'bad', keyID: id, reason: why(err) };
  }
  const packet = (await signature).packets[0];
  const digest = digestRefusal(packet.hashAlgorithm);
  if (digest !== undefined) return { kind: 'worthless', keyID: id, reason: digest };
  const expires = packet.getExpirationTime();
  if (expires !== Infinity && (expires as Date).getTime() <= now.getTime()) {
    return { kind: 'worthless', keyID: id, reason: `signature expired at ${(expires as Date).toISOString()}` };
  }
  const signing = key.getKeys(keyID)[0];
  const algorithm = keyRefusal(signing.getAlgorithmInfo());
  if (algorithm !== undefined) return { kind: 'worthless', keyID: id, reason: algorithm };
  try {
    // Expired or revoked (sub)keys, and subkeys without a valid binding, fail here, at `now`:
    // gpgv reports EXPKEYSIG/REVKEYSIG for them and apt counts such signatures as worthless.
    await key.getSigningKey(keyID, now, undefined, { ...defaultConfig, ...KEY_ALGORITHMS_DECIDED_BY_POLICY });
  } catch (err) {
    return { kind: 'worthless', keyID: id, reason: `key ${key.getFingerprint().toUpperCase()} cannot sign now: ${why(err)}` };
  }
  return { kind: 'good', key, signingKeyFingerprint: signing.getFingerprint().toUpperCase(), created: packet.created ?? new Date(0) };
}

async function verifyBlocks(signed: Uint8Array, armored: readonly string[], keyring: Keyring, source: string, now: Date): Promise<VerifiedRelease> {
  const verdicts: Verdict[] = [];
  for (const block of armored) {
    let signature: Signature;
    try {
      signature = await readSignature({ armoredSignature: block });
    } catch (err) {
      throw new DebstashError('DEBSTASH_E_SIGNATURE_INVALID', `${source}: the signature block cannot be read (${why(err)})`, { source }, { cause: err });
    }
    const message = await createMessage({ binary: signed });
    // date null: no time checks here (apt runs gpgv with --ignore-time-conflict); `judge`
    // checks expiry at `now` and the Release's own Date is checked by checkReleaseTimes.
    const result = await verify({ message, signature, verificationKeys: [...keyring.keys], date: null as unknown as Date, format: 'binary', config: CRYPTO_ONLY });
    for (const s of result.signatures) verdicts.push(await judge(keyring, s.keyID, s.verified, s.signature, now));
  }

  // apt's rule: at least one good signature and no bad one; signatures by unknown keys beside
  // a good one are fine (archives sign with several keys).
  const bad = verdicts.filter((v): v is Extract<Verdict, { kind: 'bad' }> => v.kind === 'bad');
  if (bad.length > 0) {
    const list = bad.map((b) => `${b.keyID} (${b.reason})`).join(', ');
    throw new DebstashError('DEBSTASH_E_SIGNATURE_INVALID', `${source}: bad signature by ${list}: the signed text or the signature was altered`, {
      source,
      keyID: bad[0].keyID,
    });
  }
  const good = verdicts.find((v): v is Extract<Verdict, { kind: 'good' }> => v.kind === 'good');
  if (good !== undefined) {
    const text = decodeUtf8(signed, source);
    return {
      text,
      signed,
      fingerprint: good.key.getFingerprint().toUpperCase(),
      signingKeyFingerprint: good.signingKeyFingerprint,
      signedAt: good.created,
    };
  }
  const worthless = verdicts.filter((v): v is Extract<Verdict, { kind: 'worthless' }> => v.kind === 'worthless');
  if (worthless.length > 0) {
    const list = worthless.map((w) => `${w.keyID} (${w.reason})`).join(', ');
    throw new DebstashError('DEBSTASH_E_SIGNATURE_INVALID', `${source}: no acceptable signature: ${list}`, { source, keyID: worthless[0].keyID });
  }
  const unknown = verdicts.filter((v) => v.kind === 'nopubkey').map((v) => v.keyID);
  if (unknown.length > 0) {
    throw new DebstashError(
      'DEBSTASH_E_SIGNATURE_UNKNOWN_KEY',
      `${source}: signed by ${unknown.length === 1 ? `key ${unknown[0]}, which is not in the keyring` : `keys ${unknown.join(', ')}, none of which is in the keyring`} (${keyring.sources.join(', ')})`,
      { source, keyID: unknown[0] },
    );
  }
  throw new DebstashError('DEBSTASH_E_SIGNATURE_INVALID', `${source}: holds no data signature`, { source });
}

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new DebstashError('DEBSTASH_E_RELEASE_INVALID', `${source}: the signed Release text is not UTF-8`, { source }, { cause: err });
  }
}

/**
 * Verifies a clearsigned InRelease against `keyring` with apt's verdict: split as apt splits it
 * (see splitClearsigned), then good if a trusted key made a good signature with an accepted
 * digest and key algorithm and no signature is bad. Bad or refused signatures are
 * DEBSTASH_E_SIGNATURE_INVALID; signatures only by keys not in the keyring are
 * DEBSTASH_E_SIGNATURE_UNKNOWN_KEY.
 */
export async function verifyInRelease(inRelease: Uint8Array | string, keyring: Keyring, options: VerifyReleaseOptions = {}): Promise<VerifiedRelease> {
  const source = options.source ?? 'InRelease';
  const parts = splitClearsigned(inRelease, source);
  return verifyBlocks(parts.signed, parts.signatures, keyring, source, options.now ?? new Date());
}

/** Verifies a Release against its detached, armored Release.gpg; verdicts as verifyInRelease. */
export async function verifyDetachedRelease(
  release: Uint8Array,
  signature: Uint8Array | string,
  keyring: Keyring,
  options: VerifyReleaseOptions = {},
): Promise<VerifiedRelease> {
  const source = options.source ?? 'Release';
  const blocks = splitDetachedSignatures(signature, `${source}.gpg`);
  return verifyBlocks(release, blocks, keyring, source, options.now ?? new Date());
}
