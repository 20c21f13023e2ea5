import { DebstashError } from '../errors/debstash-error.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `15m`, `6h`, `7d` → milliseconds; `0` and `off` → 0 (never); undefined for anything else. */
export function intervalMs(text: string): number | undefined {
  if (text === '0' || text === 'off') return 0;
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** `--refresh` on the command line: an interval, or a usage error. */
export function parseRefreshOption(text: string): number {
  const ms = intervalMs(text);
  if (ms === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `--refresh ${JSON.stringify(text)}: expected a number with s, m or h (e.g. 6h), or "off"`);
  return ms;
}
