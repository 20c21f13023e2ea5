import { bytes } from '../format';
import { href } from '../router';
import type { SnapshotDiff } from '../types';
import { DataTable } from './DataTable';

const pkg = (name: string, version: string, arch: string) => <a href={href(`packages/${encodeURIComponent(name)}/${encodeURIComponent(version)}/${encodeURIComponent(arch)}`)}>{name}</a>;

const KINDS = [
  ['added', 'Added'],
  ['removed', 'Removed'],
  ['upgraded', 'Upgraded'],
  ['downgraded', 'Downgraded'],
] as const;

/** One row of any of the four lists: a version, or a from → to with both sizes. */
interface Row {
  readonly name: string;
  readonly architecture: string;
  readonly from?: string;
  readonly to: string;
  readonly fromSize?: number;
  readonly toSize: number;
}

function rows(diff: SnapshotDiff, kind: (typeof KINDS)[number][0]): Row[] {
  if (kind === 'added' || kind === 'removed') return diff[kind].map((p) => ({ name: p.name, architecture: p.architecture, to: p.version, toSize: p.size }));
  return diff[kind].map((p) => ({ name: p.name, architecture: p.architecture, from: p.from, to: p.to, fromSize: p.fromSize, toSize: p.toSize }));
}

/** What changes from one snapshot to another, in four captioned tables. */
export function DiffTable({ diff }: { diff: SnapshotDiff }) {
  const total = diff.added.length + diff.removed.length + diff.upgraded.length + diff.downgraded.length;
  const delta = diff.added.reduce((n, p) => n + p.size, 0) - diff.removed.reduce((n, p) => n + p.size, 0) + [...diff.upgraded, ...diff.downgraded].reduce((n, p) => n + p.toSize - p.fromSize, 0);
  return (
    <div class="diff">
      <p role="status">
        {total === 0
          ? 'No differences.'
          : `${diff.added.length} added, ${diff.removed.length} removed, ${diff.upgraded.length} upgraded, ${diff.downgraded.length} downgraded; ${delta >= 0 ? '+' : '−'}${bytes(Math.abs(delta))}`}
      </p>
      {KINDS.map(([kind, caption]) => {
        const list = rows(diff, kind);
        const changed = kind === 'upgraded' || kind === 'downgraded';
        const columns = changed ? ['Package', 'From', 'To', 'Arch'] : ['Package', 'Version', 'Arch'];
        return (
          list.length > 0 && (
            <DataTable key={kind} label={caption} caption={caption} className={`diff-${kind}`} columns={[...columns.map((label) => ({ label })), { label: 'Size', num: true }]}>
              {list.map((p) => (
                <tr key={`${p.name}/${p.architecture}`}>
                  <td>{pkg(p.name, p.to, p.architecture)}</td>
                  {changed && <td>{p.from}</td>}
                  <td>{p.to}</td>
                  <td>{p.architecture}</td>
                  <td class="num">{changed ? `${bytes(p.fromSize)} → ${bytes(p.toSize)}` : bytes(p.toSize)}</td>
                </tr>
              ))}
            </DataTable>
          )
        );
      })}
    </div>
  );
}
