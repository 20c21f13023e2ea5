import type { Generation } from './publish-state.js';

/*
 * apt's snapshot IDs (apt ≥ 2.7: `apt update --snapshot ID`, `Snapshot: ID` in a source): a
 * UTC time written `YYYYMMDDTHHMMSSZ`, which apt puts in place of `@SNAPSHOTID@` in the
 * Release's `Snapshots:` template. A generation of a publish is named by its Release Date in
 * that form; an ID names the last generation whose Date is at or before it.
 */

const ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `20260101T120000Z` for that second (UTC; milliseconds dropped). */
export function snapshotId(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** The time an ID names, or undefined when it is not `YYYYMMDDTHHMMSSZ` naming a real second. */
export function parseSnapshotId(text: string): Date | undefined {
  const m = ID.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 20260230 over into March: such an ID names no time.
  return snapshotId(date) === text ? date : undefined;
}

/**
 * The generation served at `at`: the last (newest) whose Date is at or before it; undefined
 * when `at` is before every one of them. Generations are oldest first, as the state keeps them;
 * two with the same Date (published within one second) resolve to the later.
 */
export function generationAt(generations: readonly Generation[], at: Date): Generation | undefined {
  let found: Generation | undefined;
  for (const g of generations) {
    if (new Date(g.date).getTime() <= at.getTime()) found = g;
  }
  return found;
}
