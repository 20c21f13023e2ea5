import { DebstashError } from '../../errors/debstash-error.js';
import type { ApiRoute } from './api-route.js';

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: ApiRoute; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'wrong-method'; readonly allow: readonly string[] }
  | { readonly kind: 'none' };

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new DebstashError('DEBSTASH_E_USAGE', `the path segment ${JSON.stringify(segment)} is not valid percent-encoding`, { segment });
  }
}

/** Parameters of `path` under `template` ("/api/repos/{name}"), or undefined when it does not fit. */
function fit(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const h = have[i] ?? '';
    if (w.startsWith('{') && w.endsWith('}')) {
      if (h === '') return undefined;
      params[w.slice(1, -1)] = decode(h);
    } else if (w !== h) {
      return undefined;
    }
  }
  return params;
}

const paramCount = (template: string): number => template.split('{').length - 1;

/** The route for a method and path; a literal segment wins over a parameter ("merge" over "{name}"). */
export function matchRoute(routes: readonly ApiRoute[], method: string, path: string): RouteMatch {
  const fitting = routes
    .map((route) => ({ route, params: fit(route.path, path) }))
    .filter((m): m is { route: ApiRoute; params: Record<string, string> } => m.params !== undefined)
    .sort((a, b) => paramCount(a.route.path) - paramCount(b.route.path));
  if (fitting.length === 0) return { kind: 'none' };
  const wanted = method === 'HEAD' ? 'GET' : method;
  const best = fitting.find((m) => m.route.method === wanted);
  if (best !== undefined) return { kind: 'found', route: best.route, params: best.params };
  return { kind: 'wrong-method', allow: [...new Set(fitting.map((m) => m.route.method))] };
}
