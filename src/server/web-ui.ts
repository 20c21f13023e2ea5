import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';
import { endWithBody, type Exchange } from './exchange.js';

/** Where `npm run build` puts the bundle: dist/ui beside dist/src of the installed package. */
export const BUILT_UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/**
 * Nothing but the bundle's own files: no inline script or style, no other origin, no framing.
 * The API is same-origin, so connect-src 'self' covers fetch and the task event streams.
 */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
};

/** Vite names built assets by content ("index-Bq3fa8c1.js"), so such a name never changes meaning. */
const ASSET = /^\/ui\/assets\/([A-Za-z0-9_-]+\.(?:js|css|svg|png|ico))$/;
const TOP_FILE = /^\/ui\/([A-Za-z0-9_-]+\.(?:svg|png|ico|json))$/;

/** True for the paths the web UI answers: `/` (a redirect) and everything under `/ui`. */
export function isUiPath(path: string): boolean {
  return path === '/' || path === '/ui' || path.startsWith('/ui/');
}

/** No "." or ".." (plain or %-encoded), no hidden names, no backslash or NUL: never a file elsewhere. */
function plainPagePath(path: string): boolean {
  for (const raw of path.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return false;
    }
    if (segment.startsWith('.') || /[\\\0]/.test(segment)) return false;
  }
  return true;
}

function setUiHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', UI_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

/**
 * Serves the built single-page app: `/` and `/ui` redirect to `/ui/`, hashed assets are cached
 * for good, any other `/ui/...` path is the app's index.html (its router reads the path), so a
 * reload or a shared link of a page works. Only GET and HEAD reach here.
 */
export class WebUi {
  constructor(private readonly dir: string = BUILT_UI_DIR) {}

  async serve(res: ServerResponse, path: string, ex: Exchange): Promise<void> {
    if (path === '/' || path === '/ui') {
      ex.route = path;
      res.statusCode = 302;
      res.setHeader('Location', '/ui/');
      res.setHeader('Cache-Control', 'no-cache');
      return endWithBody(res, ex, '');
    }
    ex.route = '/ui/*';
    setUiHeaders(res);
    if (!plainPagePath(path)) return this.plain(res, ex, 400, 'bad path\n');
    const asset = ASSET.exec(path);
    const top = asset === null ? TOP_FILE.exec(path) : null;
    const name = asset !== null ? `assets/${asset[1] ?? ''}` : top?.[1];
    if (name !== undefined) {
      const body = await readFile(join(this.dir, name)).catch(() => undefined);
      if (body !== undefined) {
        res.statusCode = 200;
        res.setHeader('Content-Type', TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream');
        res.setHeader('Cache-Control', asset !== null ? 'public, max-age=31536000, immutable' : 'no-cache');
        return endWithBody(res, ex, body);
      }
      if (asset !== null) return this.plain(res, ex, 404, 'no such asset (the UI was rebuilt: reload the page)\n');
    }
    if (path.startsWith('/ui/assets/') && asset === null) return this.plain(res, ex, 404, 'no such asset\n');
    const index = await readFile(join(this.dir, 'index.html')).catch(() => undefined);
    if (index === undefined) {
      const err = new DebstashError('DEBSTASH_E_UI_NOT_BUILT', `the web UI is not built (no ${join(this.dir, 'index.html')})`);
      return this.plain(res, ex, err.httpStatus, `${err.describe()}\n`);
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', TYPES.html ?? '');
    // The page names its hashed assets: it must be revalidated to pick up a new build.
    res.setHeader('Cache-Control', 'no-cache');
    return endWithBody(res, ex, index);
  }

  private plain(res: ServerResponse, ex: Exchange, status: number, body: string): void {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    endWithBody(res, ex, body);
  }
}
