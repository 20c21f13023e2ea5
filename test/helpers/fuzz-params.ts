import type fc from 'fast-check';

/**
 * The one setting of every property test. The seed is fixed per file so a CI failure replays
 * (fast-check prints seed and path; FUZZ_SEED overrides every file's seed to explore), and each
 * parser's "any input" property runs at least 10,000 cases (FUZZ_RUNS raises that; the other
 * properties run a share of it). No time limit: a run cut short on a slow machine would pass
 * with fewer cases than the suite claims.
 */
const base = Number(process.env.FUZZ_RUNS ?? 10_000);

export function fuzzParams(defaultSeed: number, share = 1): fc.Parameters<unknown> {
  return { seed: Number(process.env.FUZZ_SEED ?? defaultSeed), numRuns: Math.max(1, Math.ceil(base * share)) };
}
