import type { ComponentChildren } from 'preact';
import type { Loaded } from '../use-api';
import { ErrorBox } from './ErrorBox';

/** Renders `children(value)` once loaded; a status line before, the error box on failure. */
export function Loading<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p role="status">Loading…</p>;
  if (loaded.state === 'error') return <ErrorBox error={loaded.error} />;
  return <>{children(loaded.value)}</>;
}
