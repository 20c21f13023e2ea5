/** The placeholders a publish's `snapshot_name` may use. */
export const SNAPSHOT_NAME_PLACEHOLDERS = ['publish', 'mirror', 'repo', 'date', 'n'] as const;
export type SnapshotNamePlaceholder = (typeof SNAPSHOT_NAME_PLACEHOLDERS)[number];

/** Placeholders in `template` that are not known ones. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '').filter((p) => !(SNAPSHOT_NAME_PLACEHOLDERS as readonly string[]).includes(p));
}

/** UTC `yyyymmddThhmmss`: sorts as it reads, and fits in a snapshot name. */
export function snapshotDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
}

/**
 * The name of the next snapshot of a publish: `template` filled in, `{n}` the smallest number
 * from 1 that makes a new name. Without `{n}`, a name already taken (two applies within one
 * second) gets `-2`, `-3`, ... appended.
 */
export function snapshotName(template: string, values: Readonly<Record<Exclude<SnapshotNamePlaceholder, 'n'>, string>>, taken: ReadonlySet<string>): string {
  const fill = (n: number): string => template.replace(/\{(publish|mirror|repo|date|n)\}/g, (_, p: SnapshotNamePlaceholder) => (p === 'n' ? String(n) : values[p]));
  const hasN = template.includes('{n}');
  for (let n = 1; ; n++) {
    const name = hasN ? fill(n) : n === 1 ? fill(1) : `${fill(1)}-${n}`;
    if (!taken.has(name)) return name;
  }
}
