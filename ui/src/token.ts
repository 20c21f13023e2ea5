// The API token lives in sessionStorage only: gone when the tab closes, never in a URL,
// never in localStorage (which outlives the session and is shared by every tab).
const KEY = 'debstash.token';

export function getToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  if (token === '') sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}
