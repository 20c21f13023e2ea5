/** What a user may leave out when creating or editing a mirror. */
export interface MirrorConfigInput {
  readonly url: string;
  readonly dist: string;
  readonly components?: readonly string[];
  readonly architectures?: readonly string[];
  readonly filter?: string;
  readonly withDeps?: boolean;
  readonly withRecommends?: boolean;
  readonly withSources?: boolean;
  readonly withUdebs?: boolean;
  readonly keyrings?: readonly string[];
  readonly depsFrom?: readonly string[];
  readonly updateDepsFrom?: boolean;
  /** `immediate` (the default), `on-demand` or `cache-on-serve` (see MirrorPolicy); checked on create/edit. */
  readonly policy?: string;
}
