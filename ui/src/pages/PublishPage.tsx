import { useState } from 'preact/hooks';
import { api, ApiError, prefixQuery } from '../api';
import { DiffTable } from '../components/DiffTable';
import { ErrorBox } from '../components/ErrorBox';
import { Loading } from '../components/Loading';
import { SnapshotPicker } from '../components/SnapshotPicker';
import { TaskProgress } from '../components/TaskProgress';
import { publishName } from '../format';
import { href } from '../router';
import type { Publish, Snapshot, SnapshotDiff, Task } from '../types';
import { useApi } from '../use-api';
import { diffPath } from './DiffPage';

/** Switching a publish to another snapshot: pick, see the diff, confirm, watch the task. */
function Switch({ pub, snapshots, onDone }: { pub: Publish; snapshots: readonly Snapshot[]; onDone: (t: Task) => void }) {
  const [target, setTarget] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [task, setTask] = useState<Task>();
  const [error, setError] = useState<ApiError>();
  const current = pub.source.kind === 'snapshot' ? pub.source.name : undefined;
  const diff = useApi<SnapshotDiff>(confirming && current !== undefined && target !== '' ? diffPath(current, target) : undefined);
  const candidates = snapshots.filter((s) => s.name !== current);
  const previous = current === undefined ? undefined : [...snapshots].reverse().find((s) => s.name !== current && s.createdAt < (snapshots.find((c) => c.name === current)?.createdAt ?? ''));
  const start = async (): Promise<void> => {
    setError(undefined);
    try {
      const r = await api<{ task: Task }>('POST', `/api/publish/${encodeURIComponent(pub.dist)}/switch${prefixQuery(pub.prefix)}`, { snapshot: target });
      setTask(r.task);
      setConfirming(false);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'UNKNOWN', String(err)));
    }
  };
  if (task !== undefined) return <TaskProgress task={task} onEnd={onDone} />;
  return (
    <>
      {!confirming ? (
        <form
          class="pick"
          onSubmit={(e) => {
            e.preventDefault();
            setConfirming(true);
          }}
        >
          <SnapshotPicker id="switch-to" label="Switch to snapshot" value={target} snapshots={candidates} onChange={setTarget} />
          <button type="submit" disabled={target === ''}>
            Review switch…
          </button>
          {previous && (
            <button
              type="button"
              onClick={() => {
                setTarget(previous.name);
                setConfirming(true);
              }}
            >
              Roll back to {previous.name}…
            </button>
          )}
        </form>
      ) : (
        <section role="dialog" aria-modal="false" aria-labelledby="confirm-h" class="confirm">
          <h2 id="confirm-h">
            Switch {publishName(pub.prefix, pub.dist)} from {current ?? `${pub.source.kind} ${pub.source.name}`} to {target}?
          </h2>
          {current === undefined ? <p>This publish shows a repo; no snapshot diff to show.</p> : <Loading loaded={diff}>{(d) => <DiffTable diff={d} />}</Loading>}
          <p>Clients see the new snapshot at their next apt update. The switch is atomic.</p>
          <div class="buttons">
            <button type="button" class="primary" onClick={() => void start()}>
              Switch to {target}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </section>
      )}
      {error && <ErrorBox error={error} />}
    </>
  );
}

export function PublishPage({ dist, prefix }: { dist: string; prefix: string }) {
  const [version, setVersion] = useState(0);
  const [finished, setFinished] = useState<Task>();
  const pub = useApi<Publish>(`/api/publish/${encodeURIComponent(dist)}${prefixQuery(prefix)}`, version);
  const snapshots = useApi<Snapshot[]>('/api/snapshots');
  return (
    <>
      <h1 tabIndex={-1}>Publish {publishName(prefix, dist)}</h1>
      {finished && (
        <p role="status" class={`state-${finished.state}`} data-testid="switch-result">
          Switch {finished.state}
          {finished.error ? `: ${finished.error.code}: ${finished.error.message}` : '.'}
        </p>
      )}
      <Loading loaded={pub}>
        {(p) => (
          <>
            <p data-testid="serving">
              Serves {p.source.kind} <strong>{p.source.name}</strong> for {p.architectures.join(', ')}, signed by <code class="fpr">{p.keyFingerprint ?? '–'}</code>.
            </p>
            <p>
              <a href={href(`client/${encodeURIComponent(dist)}`, { prefix })}>Client setup for this distribution</a>
            </p>
            <Loading loaded={snapshots}>{(list) => <Switch pub={p} snapshots={list} onDone={(t) => {
                  setFinished(t);
                  setVersion((v) => v + 1);
                }} />}</Loading>
          </>
        )}
      </Loading>
    </>
  );
}
