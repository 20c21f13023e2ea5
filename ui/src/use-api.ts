import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from './api';

export type Loaded<T> = { readonly state: 'loading' } | { readonly state: 'ok'; readonly value: T } | { readonly state: 'error'; readonly error: ApiError };

/**
 * GETs `path` (again whenever it or `version` changes); undefined path waits. A reload of the
 * same path keeps showing the last answer until the new one is there (no flicker, and what
 * the page shows beside it, such as a result message, stays).
 */
export function useApi<T>(path: string | undefined, version = 0): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const shown = useRef<string>();
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    if (shown.current !== path) setLoaded({ state: 'loading' });
    shown.current = path;
    get<T>(path).then(
      (value) => live && setLoaded({ state: 'ok', value }),
      (error: unknown) => live && setLoaded({ state: 'error', error: error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error)) }),
    );
    return () => {
      live = false;
    };
  }, [path, version]);
  return loaded;
}
