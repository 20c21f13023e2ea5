/** Deterministic pseudo-random bytes (xorshift32): reproducible test input without fixtures. */
export function pseudoRandomBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const WORDS = ['lib', 'python3', 'perl', 'data', 'utils', 'common', 'dev', 'doc', 'gtk', 'qt', 'server', 'client', 'tools', 'core'];

/**
 * Text shaped like a Packages index, about `minBytes` long: what indexes really compress like
 * (repetitive field names, varied values), for ratio and round-trip tests.
 */
export function packagesText(minBytes: number, seed = 7): string {
  const random = pseudoRandomBytes(64, seed);
  let x = random.readUInt32LE(0) || 1;
  const next = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const word = (): string => WORDS[next(WORDS.length)];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < minBytes; i++) {
    const name = `${word()}-${word()}${i}`;
    const version = `${next(10)}.${next(40)}.${next(100)}-${next(5) + 1}`;
    const stanza =
      `Package: ${name}\nVersion: ${version}\nInstalled-Size: ${next(100000)}\n` +
      `Maintainer: Debian ${word()} Team <${word()}@lists.example.invalid>\nArchitecture: amd64\n` +
      `Depends: ${word()}-${word()} (>= ${next(9)}.${next(20)}), lib${word()}${next(9)}\n` +
      `Description: ${word()} ${word()} for ${word()}\n` +
      `Section: ${word()}\nPriority: optional\nFilename: pool/main/${name[0]}/${name}/${name}_${version}_amd64.deb\n` +
      `Size: ${next(10000000)}\nSHA256: ${pseudoRandomBytes(32, i + 1).toString('hex')}\n\n`;
    parts.push(stanza);
    size += stanza.length;
  }
  return parts.join('');
}
