import { useEffect, useState } from 'preact/hooks';
import { bytes } from '../format';
import { followTask } from '../task-events';
import type { Task } from '../types';

/** One task, live from its event stream: phase, a progress bar, warnings, how it ended. */
export function TaskProgress({ task, onEnd }: { task: Task; onEnd?: (t: Task) => void }) {
  const [t, setT] = useState<Task>(task);
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    const abort = new AbortController();
    let progress = task.progress ?? {};
    let phase = task.progress?.message ?? task.progress?.phase;
    const warnings: string[] = [...task.warnings];
    let state = task.state;
    followTask(
      task.id,
      (e) => {
        if (e.type === 'phase') phase = String(e.data.message ?? e.data.phase ?? '');
        else if (e.type === 'progress') progress = { ...progress, ...(e.data as Task['progress']) };
        else if (e.type === 'warning') warnings.push(String(e.data.message ?? JSON.stringify(e.data)));
        else if (e.type === 'state') state = String(e.data.state ?? state) as Task['state'];
        setT((old) => ({ ...old, state, warnings: [...warnings], progress: { ...progress, message: phase } }));
      },
      abort.signal,
    ).then(
      (done) => {
        setT(done);
        onEnd?.(done);
      },
      (err: unknown) => {
        if (!abort.signal.aborted) setFailure(String(err));
      },
    );
    return () => abort.abort();
  }, [task.id]);
  const p = t.progress;
  const finished = t.state === 'succeeded' || t.state === 'failed' || t.state === 'cancelled';
  return (
    <div class="task" data-state={t.state}>
      <p>
        <strong>{t.kind}</strong> {t.resources.join(', ')}: <span class={`state state-${t.state}`}>{t.state}</span>
        {p?.message && !finished ? ` — ${p.message}` : ''}
      </p>
      {!finished && (
        <progress aria-label={`${t.kind} progress`} max={p?.total ?? p?.bytesTotal ?? undefined} value={p?.done ?? p?.bytesDone ?? undefined} />
      )}
      {p?.bytesTotal ? (
        <p class="muted">
          {bytes(p.bytesDone)} of {bytes(p.bytesTotal)}
        </p>
      ) : null}
      {t.error && (
        <p role="alert" class="error">
          {t.error.code}: {t.error.message}
        </p>
      )}
      {t.warnings.length > 0 && (
        <ul class="warnings">
          {t.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      {failure && <p class="error">{failure}</p>}
      <p class="sr-only" role="status" aria-live="polite">
        {finished ? `task ${t.state}` : ''}
      </p>
    </div>
  );
}
