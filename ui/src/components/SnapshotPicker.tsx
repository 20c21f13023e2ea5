import type { Snapshot } from '../types';

export function SnapshotPicker({ id, label, value, snapshots, onChange }: { id: string; label: string; value: string; snapshots: readonly Snapshot[]; onChange: (v: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">choose a snapshot</option>
        {snapshots.map((s) => (
          <option key={s.name} value={s.name}>
            {s.name} ({s.packageCount} packages)
          </option>
        ))}
      </select>
    </div>
  );
}
