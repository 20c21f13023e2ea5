import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ActionButton } from '../components/ActionButton';
import { DataTable } from '../components/DataTable';
import { FreshnessChart } from '../components/FreshnessChart';
import { Loading } from '../components/Loading';
import { TaskProgress } from '../components/TaskProgress';
import { UploadForm } from '../components/UploadForm';
import { ago, bytes, duration, publishName } from '../format';
import { href } from '../router';
import type { Mirror, MirrorDetails, Publish, Repo, Task } from '../types';
import { useApi } from '../use-api';

function lastUpdate(tasks: readonly Task[], mirror: string): Task | undefined {
  return tasks.find((t) => t.kind === 'mirror-update' && t.resources.includes(`mirror:${mirror}`) && t.finishedAt !== undefined);
}

function MirrorRow({ m, tasks, changed }: { m: Mirror; tasks: readonly Task[]; changed: () => void }) {
  const details = useApi<MirrorDetails>(`/api/mirrors/${encodeURIComponent(m.name)}`);
  const last = lastUpdate(tasks, m.name);
  const unresolved = details.state === 'ok' ? details.value.unresolved : [];
  const unmatched = m.sync?.filterWarnings ?? [];
  return (
    <tr>
      <th scope="row">{m.name}</th>
      <td class="wrap">
        {m.config.url} {m.config.dist} {m.config.components.join(' ')}
        {m.config.filter && (
          <>
            <br />
            <code>{m.config.filter}</code>
          </>
        )}
      </td>
      <td>
        <time dateTime={m.updatedAt}>{ago(m.updatedAt)}</time>
        {last && (
          <>
            <br />
            <span class={`state state-${last.state}`}>{last.state}</span>, {duration(last.startedAt, last.finishedAt)}, {bytes(last.result?.downloadBytes)} fetched
          </>
        )}
      </td>
      <td class="num">{m.packageCount}</td>
      <td class="wrap">
        {unresolved.length + unmatched.length === 0 ? (
          'none'
        ) : (
          <ul class="warnings">
            {unresolved.map((u) => (
              <li key={`${u.package} ${u.dependency}`}>
                unresolved: {u.package} needs {u.dependency}
              </li>
            ))}
            {unmatched.map((w) => (
              <li key={w.term}>
                filter term <code>{w.term}</code> matched nothing
              </li>
            ))}
          </ul>
        )}
      </td>
      <td class="actions">
        <ActionButton label={`Update ${m.name}`} run={() => api('POST', `/api/mirrors/${encodeURIComponent(m.name)}/update`, {})} onDone={changed} />
        <ActionButton label={`Snapshot ${m.name}`} run={() => api('POST', '/api/snapshots', { name: snapshotName(m.name), fromMirror: m.name })} onDone={changed} />
      </td>
    </tr>
  );
}

/** MIRROR-YYYYMMDD-HHMMSS (UTC): unique enough for a click, sorted by time. */
function snapshotName(mirror: string): string {
  return `${mirror}-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
}

export function Dashboard() {
  const [version, setVersion] = useState(0);
  const mirrors = useApi<Mirror[]>('/api/mirrors', version);
  const publishes = useApi<Publish[]>('/api/publish', version);
  const tasks = useApi<Task[]>('/api/tasks', version);
  const repos = useApi<Repo[]>('/api/repos', version);
  const ready = useReadiness(version);
  const taskList = tasks.state === 'ok' ? tasks.value : [];
  const running = taskList.filter((t) => t.state === 'running' || t.state === 'queued');
  return (
    <>
      <h1 tabIndex={-1}>Dashboard</h1>
      <section aria-labelledby="mirrors-h">
        <h2 id="mirrors-h">Mirrors</h2>
        <Loading loaded={mirrors}>
          {(list) =>
            list.length === 0 ? (
              <p>No mirrors.</p>
            ) : (
              <DataTable label="Mirrors table" columns={[{ label: 'Mirror' }, { label: 'Upstream and filter' }, { label: 'Last update' }, { label: 'Packages', num: true }, { label: 'Warnings' }, { label: 'Actions' }]}>
                    {list.map((m) => (
                      <MirrorRow key={m.name} m={m} tasks={taskList} changed={() => setVersion((v) => v + 1)} />
                    ))}
              </DataTable>
            )
          }
        </Loading>
        <p class="muted">Next scheduled refresh: set by the refresh schedule of <code>debstash up</code>; the API does not report it.</p>
      </section>
      <section aria-labelledby="publishes-h">
        <h2 id="publishes-h">Publishes</h2>
        <p role="status">{ready}</p>
        <Loading loaded={publishes}>
          {(list) =>
            list.length === 0 ? (
              <p>Nothing is published.</p>
            ) : (
              <DataTable label="Publishes table" columns={[{ label: 'Distribution' }, { label: 'Serves' }, { label: 'Key' }, { label: 'Actions' }]}>
                    {list.map((p) => (
                      <tr key={`${p.prefix}/${p.dist}`}>
                        <th scope="row">{publishName(p.prefix, p.dist)}</th>
                        <td>
                          {p.source.kind} <strong>{p.source.name}</strong>
                          <br />
                          <span class="muted">since {ago(p.updatedAt)}</span>
                        </td>
                        <td>
                          <code class="fpr">{p.keyFingerprint ?? '–'}</code>
                        </td>
                        <td class="actions">
                          <a href={href(`publish/${encodeURIComponent(p.dist)}`, { prefix: p.prefix })}>Switch…</a>
                          <a href={href(`client/${encodeURIComponent(p.dist)}`, { prefix: p.prefix })}>Client setup</a>
                        </td>
                      </tr>
                    ))}
              </DataTable>
            )
          }
        </Loading>
      </section>
      <section aria-labelledby="repos-h">
        <h2 id="repos-h">Local repos</h2>
        <Loading loaded={repos}>
          {(list) =>
            list.length === 0 ? (
              <p>No local repos.</p>
            ) : (
              <ul class="repos">
                {list.map((r) => (
                  <li key={r.name}>
                    <strong>{r.name}</strong>: {r.packageCount} packages
                    <UploadForm repo={r.name} onDone={() => setVersion((v) => v + 1)} />
                  </li>
                ))}
              </ul>
            )
          }
        </Loading>
      </section>
      <section aria-labelledby="tasks-h">
        <h2 id="tasks-h">Running tasks</h2>
        {running.length === 0 ? <p>None.</p> : running.map((t) => <TaskProgress key={t.id} task={t} onEnd={() => setVersion((v) => v + 1)} />)}
      </section>
      <section aria-labelledby="fresh-h">
        <h2 id="fresh-h">Freshness</h2>
        <FreshnessChart tasks={taskList} />
      </section>
    </>
  );
}

/** /readyz says whether every publish has its signed InRelease (it needs no token). */
function useReadiness(version: number): string {
  const [text, setText] = useState('Checking readiness…');
  useEffect(() => {
    fetch('/readyz').then(
      async (r) => setText(`Readiness: ${(await r.text()).trim()}`),
      () => setText('Readiness: unknown (the server did not answer)'),
    );
  }, [version]);
  return text;
}
