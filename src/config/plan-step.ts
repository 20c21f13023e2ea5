import type { KeyAlgorithm } from '../keys/generate-key.js';
import type { FilterWarning } from '../store/records.js';
import type { PublishSource } from './config-schema.js';

/**
 * One thing `apply` does (or, with --plan, would do) to make the store match debstash.yaml.
 * Plain data: `apply --plan --json` prints a list of these.
 */
export type PlanStep =
  | { readonly action: 'generate-key'; readonly algorithm: KeyAlgorithm }
  | { readonly action: 'import-key'; readonly file: string }
  | { readonly action: 'create-mirror'; readonly mirror: string; readonly url: string; readonly dist: string }
  /** `changes` names the debstash.yaml settings that differ from the stored mirror. */
  | { readonly action: 'edit-mirror'; readonly mirror: string; readonly changes: readonly string[] }
  | { readonly action: 'update-mirror'; readonly mirror: string; readonly reason: string; readonly added?: number; readonly removed?: number }
  | { readonly action: 'create-repo'; readonly repo: string }
  /** `ifChanged`: only if the update before it changes the package set (unknown when planning). */
  | { readonly action: 'snapshot'; readonly snapshot: string; readonly publish: string; readonly from: readonly PublishSource[]; readonly ifChanged: boolean }
  | { readonly action: 'publish'; readonly publish: string; readonly prefix: string; readonly dist: string; readonly snapshot: string }
  | { readonly action: 'switch'; readonly publish: string; readonly prefix: string; readonly dist: string; readonly snapshot: string; readonly previous: string }
  | { readonly action: 'drop-snapshot'; readonly snapshot: string; readonly publish: string };

/** A filter warning of a mirror of the config, as the plan and apply report it. */
export interface MirrorWarning extends FilterWarning {
  readonly mirror: string;
}

/** How a publish is named in steps and messages: `/ bookworm`, `debian bookworm`. */
export function publishLabel(prefix: string, dist: string): string {
  return `${prefix || '/'} ${dist}`;
}
