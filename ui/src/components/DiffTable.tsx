import { bytes } from '../format';
import { href } from '../router';
import type { SnapshotDiff } from '../types';

const pkg = (name: string, version: string, arch: string) => <a href={href(`packages/${encodeURIComponent(name)}/${encodeURIComponent(version)}/${encodeURIComponent(arch)}`)}>{name}</a>;

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
      {(['added', 'removed'] as const).map(
        (kind) =>
          diff[kind].length > 0 && (
            <div key={kind} class="scroll" tabIndex={0} role="region" aria-label={kind}>
            <table class={`diff-${kind}`}>
              <caption>{kind === 'added' ? 'Added' : 'Removed'}</caption>
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Version</th>
                  <th scope="col">Arch</th>
                  <th scope="col" class="num">Size</th>
                </tr>
              </thead>
              <tbody>
                {diff[kind].map((p) => (
                  <tr key={`${p.name}/${p.architecture}`}>
                    <td>{pkg(p.name, p.version, p.architecture)}</td>
                    <td>{p.version}</td>
                    <td>{p.architecture}</td>
                    <td class="num">{bytes(p.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          ),
      )}
      {(['upgraded', 'downgraded'] as const).map(
        (kind) =>
          diff[kind].length > 0 && (
            <div key={kind} class="scroll" tabIndex={0} role="region" aria-label={kind}>
            <table class={`diff-${kind}`}>
              <caption>{kind === 'upgraded' ? 'Upgraded' : 'Downgraded'}</caption>
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">Arch</th>
                  <th scope="col" class="num">Size</th>
                </tr>
              </thead>
              <tbody>
                {diff[kind].map((p) => (
                  <tr key={`${p.name}/${p.architecture}`}>
                    <td>{pkg(p.name, p.to, p.architecture)}</td>
                    <td>{p.from}</td>
                    <td>{p.to}</td>
                    <td>{p.architecture}</td>
                    <td class="num">
                      {bytes(p.fromSize)} → {bytes(p.toSize)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          ),
      )}
    </div>
  );
}
