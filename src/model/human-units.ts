/**
 * Numbers as people read them, one way everywhere (CLI output, progress, task messages).
 * Pure functions: no locale, no I/O.
 */

/** `1 package`, `2 packages`, `0 packages`; `word` is the singular, `pluralForm` when not just +s. */
export function plural(n: number, word: string, pluralForm = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralForm}`;
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/**
 * Bytes in the unit that keeps the number short (decimal units, as download sizes are given):
 * `512 B`, `3.4 kB`, `12 MB`, `1.2 GB`. The unit is picked after rounding, so 999,960 bytes
 * are `1.0 MB`, never `1000 kB`.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  for (const unit of BYTE_UNITS.slice(1)) {
    value /= 1000;
    const shown = value < 9.95 ? value.toFixed(1) : value.toFixed(0);
    if (Number(shown) < 1000 || unit === 'TB') return `${shown} ${unit}`;
  }
  return '?';
}

/**
 * A duration to the whole second, rounded up (an estimate is better late than early):
 * `59s`, `2m00s`, `1h00m`. Rounding first keeps `1m60s` out.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A size as people type it: `500M`, `20G`, `1.5T`, `4096` (binary units; `MiB`/`MB` alike); undefined when unreadable. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (m === null) return undefined;
  return Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
}
