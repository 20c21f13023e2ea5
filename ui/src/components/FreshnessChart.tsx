import { ago } from '../format';
import type { Task } from '../types';

/**
 * The last mirror updates as bars: height is how long each took, colour how it ended.
 * Plain SVG with attributes only (the CSP allows no inline style).
 */
export function FreshnessChart({ tasks }: { tasks: readonly Task[] }) {
  const runs = tasks
    .filter((t) => t.kind === 'mirror-update' && t.finishedAt !== undefined && t.startedAt !== undefined)
    .slice(0, 30)
    .reverse();
  if (runs.length === 0) return <p class="muted">No mirror update has run through this server yet (updates run by the CLI on its own are not tasks).</p>;
  const ms = runs.map((t) => new Date(t.finishedAt ?? 0).getTime() - new Date(t.startedAt ?? 0).getTime());
  const max = Math.max(...ms, 1);
  const w = 300;
  const h = 80;
  // Thin bars however few runs there are: one run is a bar, not a filled box.
  const bw = Math.min(16, w / runs.length);
  const summary = runs.map((t, i) => `${t.result?.mirror ?? t.resources.join(' ')} ${ago(t.finishedAt)}: ${t.state}, ${((ms[i] ?? 0) / 1000).toFixed(1)} s`).join('; ');
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`Last ${runs.length} mirror updates: ${summary}`} preserveAspectRatio="none">
        {runs.map((t, i) => {
          const bh = Math.max(2, ((ms[i] ?? 0) / max) * (h - 4));
          return <rect key={t.id} class={`bar bar-${t.state}`} x={i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh} />;
        })}
      </svg>
      <figcaption>
        Last {runs.length} mirror updates (bar height: duration, longest {(max / 1000).toFixed(1)} s; red: failed). Latest {ago(runs[runs.length - 1]?.finishedAt)}.
      </figcaption>
    </figure>
  );
}
