import type { Measurement } from './measure.js';

export interface Row {
  readonly step: string;
  readonly debstash: Measurement;
  readonly aptly?: Measurement;
  /** A third tool's figures (shown only when some row has them); ratios stay against aptly. */
  readonly reprepro?: Measurement;
}

const fmt = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const cells = (m: Measurement | undefined): string[] => [fmt(m?.wallS ?? NaN, 2), fmt(m?.cpuS ?? NaN, 2), fmt(m?.maxRssMB ?? NaN, 0)];

/** Prints the tools side by side; a ratio below 1 means debstash used less than aptly. */
export function printTable(rows: readonly Row[]): void {
  const withReprepro = rows.some((r) => r.reprepro !== undefined);
  const header = [
    'step',
    'debstash wall s',
    'cpu s',
    'RSS MB',
    'aptly wall s',
    'cpu s',
    'RSS MB',
    ...(withReprepro ? ['reprepro wall s', 'cpu s', 'RSS MB'] : []),
    'wall ratio',
    'RSS ratio',
  ];
  const lines = rows.map((r) => [
    r.step,
    ...cells(r.debstash),
    ...cells(r.aptly),
    ...(withReprepro ? cells(r.reprepro) : []),
    r.aptly ? `${fmt(r.debstash.wallS / r.aptly.wallS, 3)}x` : '-',
    r.aptly ? `${fmt(r.debstash.maxRssMB / r.aptly.maxRssMB, 3)}x` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const show = (line: readonly string[]): string => line.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(show(header));
  for (const l of lines) console.log(show(l));
}
