import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from './api';

export type Loaded<T> = { readonly state: 'loading' } | { readonly state: 'ok'; readonly value: T } | { readonly state: 'error'; readonly error: ApiError };

/** GETs `path` (again whenever it or `version` changes); undefined path waits. */
export function useApi<T>(path: string | undefined, version = 0): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    setLoaded({ state: 'loading' });
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
