import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { ErrorBox } from './ErrorBox';

/** A button that runs one API write; the error, if any, is shown beside it (a 401/403 says a token is needed). */
export function ActionButton({ label, run, onDone }: { label: string; run: () => Promise<unknown>; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          run().then(
            () => {
              setBusy(false);
              onDone();
            },
            (err: unknown) => {
              setBusy(false);
              setError(err instanceof ApiError ? err : new ApiError(0, 'UNKNOWN', String(err)));
            },
          );
        }}
      >
        {label}
      </button>
      {error && <ErrorBox error={error} />}
    </>
  );
}
