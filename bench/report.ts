import type { Measurement } from './measure.js';

export interface Row {
  readonly step: string;
  readonly debstash: Measurement;
  readonly aptly?: Measurement;
}

const fmt = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** Prints both tools side by side; a ratio below 1 means debstash used less than aptly. */
export function printTable(rows: readonly Row[]): void {
  const header = ['step', 'debstash wall s', 'cpu s', 'RSS MB', 'aptly wall s', 'cpu s', 'RSS MB', 'wall ratio', 'RSS ratio'];
  const lines = rows.map((r) => [
    r.step,
    fmt(r.debstash.wallS, 2),
    fmt(r.debstash.cpuS, 2),
    fmt(r.debstash.maxRssMB, 0),
    fmt(r.aptly?.wallS ?? NaN, 2),
    fmt(r.aptly?.cpuS ?? NaN, 2),
    fmt(r.aptly?.maxRssMB ?? NaN, 0),
    r.aptly ? `${fmt(r.debstash.wallS / r.aptly.wallS, 3)}x` : '-',
    r.aptly ? `${fmt(r.debstash.maxRssMB / r.aptly.maxRssMB, 3)}x` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const show = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(show(header));
  for (const l of lines) console.log(show(l));
}
