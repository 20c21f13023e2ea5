import { useState } from 'preact/hooks';
import { DiffTable } from '../components/DiffTable';
import { Loading } from '../components/Loading';
import { SnapshotPicker } from '../components/SnapshotPicker';
import { publishName } from '../format';
import { href, navigate } from '../router';
import type { Publish, Snapshot, SnapshotDiff } from '../types';
import { useApi } from '../use-api';

export function diffPath(a: string, b: string): string {
  return `/api/snapshots/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`;
}

export function DiffPage({ a, b }: { a: string; b: string }) {
  const snapshots = useApi<Snapshot[]>('/api/snapshots');
  const publishes = useApi<Publish[]>('/api/publish');
  // So "what a publish serves now" against a candidate is one pick away.
  const servedAt = new Map<string, string[]>();
  if (publishes.state === 'ok')
    for (const p of publishes.value) if (p.source.kind === 'snapshot') servedAt.set(p.source.name, [...(servedAt.get(p.source.name) ?? []), publishName(p.prefix, p.dist)]);
  const [left, setLeft] = useState(a);
  const [right, setRight] = useState(b);
  const diff = useApi<SnapshotDiff>(a !== '' && b !== '' ? diffPath(a, b) : undefined);
  return (
    <>
      <h1 tabIndex={-1}>Snapshot diff</h1>
      <Loading loaded={snapshots}>
        {(list) => (
          <form
            class="pick"
            onSubmit={(e) => {
              e.preventDefault();
              navigate(href('diff', { a: left, b: right }));
            }}
          >
            <SnapshotPicker id="diff-a" label="From" value={left} snapshots={list} onChange={setLeft} servedAt={servedAt} />
            <SnapshotPicker id="diff-b" label="To" value={right} snapshots={list} onChange={setRight} servedAt={servedAt} />
            <button type="submit" disabled={left === '' || right === ''}>
              Compare
            </button>
          </form>
        )}
      </Loading>
      {a !== '' && b !== '' && (
        <section aria-labelledby="diff-h">
          <h2 id="diff-h">
            From {a} to {b}
          </h2>
          <Loading loaded={diff}>{(d) => <DiffTable diff={d} />}</Loading>
        </section>
      )}
    </>
  );
}
