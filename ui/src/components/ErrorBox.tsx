import type { ApiError } from '../api';

/** An API failure as the CLI shows it: code and message; a 401/403 says what to do. */
export function ErrorBox({ error }: { error: ApiError }) {
  const needsToken = error.status === 401 || error.status === 403;
  return (
    <div role="alert" class="error-box">
      <p>
        <code>{error.code}</code>: {error.message}
      </p>
      {needsToken && <p>This needs an API token with more rights: enter one under “API token” at the top of the page.</p>}
    </div>
  );
}
