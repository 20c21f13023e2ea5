import type { ComponentChildren } from 'preact';

export interface Column {
  readonly label: string;
  readonly num?: boolean;
}

/**
 * A table in its own focusable, labelled scroll region: a wide table scrolls by itself and
 * the page never scrolls sideways on a small screen.
 */
export function DataTable({ label, caption, columns, className, children }: { label: string; caption?: string; columns: readonly Column[]; className?: string; children: ComponentChildren }) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={label}>
      <table class={className}>
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" class={c.num ? 'num' : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
