import fc from 'fast-check';

/** One edit of a byte string: what a bad disk, a bad proxy or an attacker does to a file. */
export type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

/** Applies the edits in order; positions wrap around the current length. */
export function mutate(original: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let data = Buffer.from(original);
  for (const m of mutations) {
    if (data.length === 0) break;
    const at = m.at % data.length;
    if (m.kind === 'flip') data[at] ^= m.mask;
    else if (m.kind === 'set') data[at] = m.value;
    else if (m.kind === 'cut') data = data.subarray(0, at);
    else data = Buffer.concat([data.subarray(0, at), m.bytes, data.subarray(at)]);
  }
  return data;
}
