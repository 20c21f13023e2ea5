import type { Paragraph } from './paragraph.js';

/**
 * The source package a binary was built from. `Source:` is absent when the names match,
 * and carries `(version)` only when the versions differ (binNMUs, e.g. `1.2-3+b1`).
 */
export function sourceOf(p: Paragraph): { readonly name: string; readonly version: string } {
  const version = p.get('Version') ?? '';
  const source = p.get('Source')?.trim();
  if (source === undefined || source === '') return { name: p.get('Package') ?? '', version };
  const m = /^(\S+)\s*(?:\(\s*([^)\s]+)\s*\))?$/.exec(source);
  if (m === null) return { name: source, version };
  return { name: m[1] ?? source, version: m[2] ?? version };
}
