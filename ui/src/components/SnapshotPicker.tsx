import type { Snapshot } from '../types';

/** Snapshot name → the publishes that serve it ("/testing"), shown beside it. */
export type ServedAt = ReadonlyMap<string, readonly string[]>;

export function SnapshotPicker({ id, label, value, snapshots, onChange, servedAt }: { id: string; label: string; value: string; snapshots: readonly Snapshot[]; onChange: (v: string) => void; servedAt?: ServedAt }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">choose a snapshot</option>
        {snapshots.map((s) => (
          <option key={s.name} value={s.name}>
            {s.name} ({s.packageCount} packages{servedAt?.get(s.name)?.length ? `; served at ${servedAt.get(s.name)?.join(', ')}` : ''})
          </option>
        ))}
      </select>
    </div>
  );
}
